import assert from "node:assert/strict";
import { startAdminServer } from "../../lib/server/admin_server.ts";
import { createServerMetrics } from "../../lib/server/metrics.ts";

async function get(url: string, method = "GET"): Promise<[number, string, string | null]> {
  const response = await fetch(url, { method });
  return [response.status, await response.text(), response.headers.get("content-type")];
}

Deno.test("admin endpoint answers liveness, readiness and metrics on a free port", async () => {
  const metrics = createServerMetrics({ processMetrics: false });
  let ready = true;
  await using admin = startAdminServer({ port: 0, metrics, ready: () => ready });
  assert.ok(admin.port > 0);
  assert.equal(admin.url, `http://127.0.0.1:${admin.port}`);

  assert.deepEqual((await get(`${admin.url}/healthz`)).slice(0, 2), [200, "ok\n"]);
  assert.deepEqual((await get(`${admin.url}/readyz`)).slice(0, 2), [200, "ready\n"]);
  const [status, body, type] = await get(`${admin.url}/metrics`);
  assert.equal(status, 200);
  assert.match(type ?? "", /^text\/plain; version=0\.0\.4/);
  assert.match(body, /^# HELP grpc_server_started_total /m);

  ready = false;
  assert.deepEqual((await get(`${admin.url}/readyz`)).slice(0, 2), [503, "shutting down\n"]);
  assert.equal((await get(`${admin.url}/healthz`))[0], 200, "alive while draining");
});

const refused: [string, string, string, number][] = [
  ["an unknown path", "GET", "/admin", 404],
  ["a POST to /metrics", "POST", "/metrics", 405],
  ["a DELETE to /readyz", "DELETE", "/readyz", 405],
];
for (const [what, method, path, expected] of refused) {
  Deno.test(`admin endpoint refuses ${what} with ${expected}`, async () => {
    await using admin = startAdminServer({ ready: () => true });
    assert.equal((await get(`${admin.url}${path}`, method))[0], expected);
  });
}

Deno.test("admin endpoint without metrics answers /metrics with 404", async () => {
  await using admin = startAdminServer({ ready: () => true });
  assert.equal((await get(`${admin.url}/metrics`))[0], 404);
});

Deno.test("admin endpoint names the address it cannot bind", async () => {
  await using first = startAdminServer({ ready: () => true });
  assert.throws(
    () => startAdminServer({ port: first.port, ready: () => true }),
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port} \\(admin\\)`),
  );
});
