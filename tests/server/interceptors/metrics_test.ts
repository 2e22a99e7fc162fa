/**
 * The metrics stage on a real Greeter server over TLS: every RPC kind is
 * counted under go-grpc-prometheus names, refused tokens by reason, and the
 * gauges follow the server.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { createServerMetrics } from "../../../lib/server/metrics.ts";
import { callKind } from "../../_helpers/calls.ts";
import { recordLogs } from "../../_helpers/record_logs.ts";
import { startTestServer } from "../../_helpers/test_server.ts";
import { bearer } from "../../_helpers/tokens.ts";
import type { RpcKind } from "../../../lib/shared/rpc_kinds.ts";

/** The value of the sample `name{labels}` in `text`, or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

const cases: { kind: RpcKind; type: string; method: string; names: string[]; sent: number }[] = [
  { kind: "unary", type: "unary", method: "SayHello", names: ["a"], sent: 1 },
  { kind: "server-stream", type: "server_stream", method: "SayHelloStream", names: ["a"], sent: 3 },
  {
    kind: "client-stream",
    type: "client_stream",
    method: "SayHelloClientStream",
    names: ["a", "b"],
    sent: 1,
  },
  {
    kind: "bidi",
    type: "bidi_stream",
    method: "SayHelloBidirectional",
    names: ["a", "b"],
    sent: 2,
  },
];

for (const { kind, type, method, names, sent } of cases) {
  Deno.test(`metrics count a ${kind} call: started, handled OK, messages each way, its duration`, async () => {
    const metrics = createServerMetrics({ processMetrics: false });
    await using server = await startTestServer({ metrics });
    using client = server.client();
    const result = await callKind(client, kind, names, { metadata: bearer(await server.token()) });
    assert.equal(result.code, grpc.status.OK);
    const text = await metrics.render();
    const labels = `grpc_type="${type}",grpc_service="helloworld.Greeter",grpc_method="${method}"`;
    assert.equal(sample(text, "grpc_server_started_total", labels), 1);
    assert.equal(sample(text, "grpc_server_handled_total", `${labels},grpc_code="OK"`), 1);
    assert.equal(sample(text, "grpc_server_msg_received_total", labels), names.length);
    assert.equal(sample(text, "grpc_server_msg_sent_total", labels), sent);
    assert.equal(sample(text, "grpc_server_handling_seconds_count", labels), 1);
    assert.equal(sample(text, "greeter_calls_in_flight", labels), 0);
  });
}

Deno.test("metrics count refused tokens as UNAUTHENTICATED and by reason", async () => {
  const metrics = createServerMetrics({ processMetrics: false });
  await using server = await startTestServer({ metrics });
  using client = server.client();
  for (const kind of ["expired", "bad-signature", "expired"] as const) {
    const result = await callKind(client, "unary", ["a"], {
      metadata: bearer(await server.token(kind)),
    });
    assert.equal(result.code, grpc.status.UNAUTHENTICATED);
  }
  assert.equal((await callKind(client, "unary", ["a"])).code, grpc.status.UNAUTHENTICATED);
  const text = await metrics.render();
  const unary = 'grpc_type="unary",grpc_service="helloworld.Greeter",grpc_method="SayHello"';
  assert.equal(
    sample(text, "grpc_server_handled_total", `${unary},grpc_code="UNAUTHENTICATED"`),
    4,
  );
  assert.equal(sample(text, "greeter_auth_failures_total", 'reason="expired"'), 2);
  assert.equal(sample(text, "greeter_auth_failures_total", 'reason="signature"'), 1);
  assert.equal(sample(text, "greeter_auth_failures_total", 'reason="missing"'), 1);
});

Deno.test("metrics gauges show the open connection, readiness, and not-ready once shutdown begins", async () => {
  const metrics = createServerMetrics({ processMetrics: false });
  const server = await startTestServer({ metrics });
  try {
    using client = server.client();
    await callKind(client, "unary", ["a"], { metadata: bearer(await server.token()) });
    const text = await metrics.render();
    assert.match(text, /^greeter_open_connections 1$/m);
    assert.match(text, /^greeter_ready 1$/m);
    assert.equal(server.server.serving, true);
  } finally {
    await server.server.shutdown();
  }
  assert.equal(server.server.serving, false);
  assert.match(await metrics.render(), /^greeter_ready 0$/m);
});

Deno.test("metrics count the call lines the log limiter leaves out", async () => {
  // Lines are only limited (and counted) when they would be written at all.
  await using _logs = await recordLogs();
  const metrics = createServerMetrics({ processMetrics: false });
  await using server = await startTestServer({ metrics });
  using client = server.client();
  const expired = bearer(await server.token("expired"));
  for (let i = 0; i < 15; i++) {
    const result = await callKind(client, "unary", ["a"], { metadata: expired });
    assert.equal(result.code, grpc.status.UNAUTHENTICATED);
  }
  const suppressed = Number(
    /^greeter_log_lines_suppressed_total (\d+)$/m.exec(await metrics.render())?.[1],
  );
  // The limiter writes the first lines of a kind and leaves out the rest.
  assert.ok(suppressed >= 1 && suppressed < 15, `suppressed ${suppressed}`);
  assert.equal(suppressed, server.server.stats.suppressedLines);
});
