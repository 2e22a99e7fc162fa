/**
 * `deploy/nginx/greeter.conf` as it ships, run by the Debian nginx in front of
 * two `main.ts` servers: the conformance harness passes through it, and a
 * backend that shuts down under load costs the client no failed call.
 *
 * Needs the `nginx` binary (Debian package `nginx`). Without it the test is
 * reported as skipped, with the reason in its name; CI sets
 * `GREETER_REQUIRE_NGINX=1`, which turns a missing nginx into a failure.
 */
import assert from "node:assert/strict";
import { createGreeterClient } from "../../lib/client/greeter_client.ts";
import { type DevPki, generateDevPki } from "../../lib/shared/dev_certs.ts";
import { findNginx, type RunningProxy, startNginx } from "../../lib/bench/deploy_proxies.ts";
import { spawnMain } from "../_helpers/spawn_main.ts";
import { mainTokenProvider } from "../_helpers/tokens.ts";
import { runClient } from "../_helpers/run_client.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const SECRET = "n".repeat(40);

const nginx = findNginx();
const required = Deno.env.get("GREETER_REQUIRE_NGINX") === "1";

/** A `main.ts` server in production mode serving `pki`, its JSON log lines collected. */
async function spawnBackend(pki: DevPki) {
  const server = await spawnMain({
    flags: ["--port", "0", "--admin-port", "0"],
    secret: SECRET,
    pki,
  });
  const admin = String(server.ready.admin);
  return {
    child: server.child,
    log: server.log,
    address: String(server.ready.address),
    async handled(): Promise<number> {
      const text = await (await fetch(`${admin}/metrics`)).text();
      return [...text.matchAll(/^grpc_server_handled_total\{[^}]*grpc_code="OK"[^}]*\} (\d+)$/gm)]
        .reduce((sum, match) => sum + Number(match[1]), 0);
    },
    exited: server.exited,
    stop: () => server[Symbol.asyncDispose](),
  };
}

Deno.test({
  name: nginx !== undefined || required
    ? "nginx in front of two servers passes the harness and loses no call when one shuts down"
    : "nginx deployment check SKIPPED: no nginx binary (apt-get install nginx, or set GREETER_NGINX)",
  ignore: nginx === undefined && !required,
  async fn() {
    assert.ok(nginx !== undefined, "GREETER_REQUIRE_NGINX=1 but no nginx binary was found");
    const dir = await Deno.makeTempDir({ prefix: "greeter-nginx-" });
    const pki = await generateDevPki({ caCommonName: "Example Corp Issuing CA" });
    await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
    await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
    await Deno.writeTextFile(`${dir}/ca.pem`, pki.caCert);
    const backends = await Promise.all([spawnBackend(pki), spawnBackend(pki)]);
    let proxy: RunningProxy | undefined;
    try {
      proxy = await startNginx(nginx, {
        dir,
        backends: [backends[0].address, backends[1].address],
      });
      const { port } = proxy;

      // 1. The whole conformance harness, through the proxy.
      const harness = await runClient(
        ["--target", `localhost:${port}`, "--ca", `${dir}/ca.pem`, "--json"],
        { GREETER_JWT_SECRET: SECRET },
      );
      const report = JSON.parse(harness.stdout);
      assert.equal(
        harness.code,
        0,
        `harness through nginx: ${JSON.stringify(report.summary ?? report)}\n${harness.stderr}`,
      );

      // 2. Load through the proxy; one backend drains and exits in the middle.
      const tokenProvider = mainTokenProvider(SECRET);
      using client = createGreeterClient({
        target: `localhost:${port}`,
        tls: { ca: pki.caCert },
        tokenProvider,
      });
      const outcomes = { ok: 0, failed: [] as string[] };
      let stopAt = Date.now() + 60_000;
      const worker = async () => {
        while (Date.now() < stopAt) {
          try {
            const reply = await client.sayHello({ name: "load" });
            assert.equal(reply.message, "Hello, load!");
            outcomes.ok++;
          } catch (error) {
            outcomes.failed.push((error as Error).message);
          }
        }
      };
      const load = Promise.all(Array.from({ length: 16 }, worker));
      await waitFor(() => outcomes.ok >= 300, "300 OK calls through the proxy", 60_000);
      const [leaving, staying] = backends;
      const servedBefore = await leaving.handled();
      leaving.child.kill("SIGTERM");
      const status = await leaving.exited();
      const okAtExit = outcomes.ok;
      // Keep the load on until the survivor has served a good number alone.
      await waitFor(
        () => outcomes.ok >= okAtExit + 300,
        "300 more OK calls through the survivor",
        60_000,
      );
      stopAt = 0;
      await load;

      if (outcomes.failed.length > 0) {
        // nginx's error log says which upstream it gave up on and why; the
        // directory (and the log) goes away in `finally`.
        const distinct = [...new Set(outcomes.failed)].slice(0, 5).join("\n  ");
        assert.fail(
          `${outcomes.failed.length} calls failed at the client:\n  ${distinct}\n` +
            `nginx error log, last 4 KB:\n${(await proxy.errorLog()).slice(-4096)}`,
        );
      }
      assert.equal(status.code, 0, "the backend drained and exited cleanly");
      assert.ok(servedBefore > 0, "both backends served calls before the shutdown");
      assert.ok((await staying.handled()) > 300, "the other backend took the load");
      // The drain itself may end forced when nginx holds a kept-alive
      // connection past GREETER_DRAIN_TIMEOUT_MS; what matters here is that
      // no caller noticed (above) and the process ended cleanly.
      const summary = await leaving.log.find(/^shutdown/, 10_000);
      assert.ok(summary.how === "graceful" || summary.how === "forced", JSON.stringify(summary));
    } finally {
      await proxy?.stop();
      await Promise.all(backends.map((b) => b.stop()));
      await Deno.remove(dir, { recursive: true });
    }
  },
});
