/**
 * The bench scripts' `main.ts` launcher: one worker or a supervisor, the
 * port from the start-up line, a call through it, and the shutdown lines
 * after one SIGTERM.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startMainServer } from "../../lib/bench/main_server.ts";
import { BENCH_ISSUER, benchTokenProvider } from "../../lib/bench/bench_token_provider.ts";
import { createGreeterClient } from "../../lib/client/greeter_client.ts";
import { testPki } from "../_helpers/pki.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SECRET = "b".repeat(40);

for (const workers of [1, 2]) {
  Deno.test(`main server with ${workers} worker(s) listens, serves and logs one shutdown line a worker`, async () => {
    const pki = await testPki();
    // Under the project's .greeter, which -P=server may read.
    await Deno.mkdir(`${ROOT}.greeter`, { recursive: true });
    const dir = await Deno.makeTempDir({ dir: `${ROOT}.greeter`, prefix: "main-server-" });
    try {
      await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
      await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
      const server = await startMainServer({
        workers,
        secret: SECRET,
        issuer: BENCH_ISSUER,
        env: { GREETER_TLS_CERT: `${dir}/server.pem`, GREETER_TLS_KEY: `${dir}/server.key.pem` },
      });
      try {
        assert.ok(server.port > 0);
        using client = createGreeterClient({
          target: `localhost:${server.port}`,
          tls: { ca: pki.caCert },
          tokenProvider: benchTokenProvider(SECRET),
          tracing: false,
        });
        assert.equal((await client.sayHello({ name: "bench" })).message, "Hello, bench!");
      } finally {
        await server.stop();
      }
      const shutdowns = server.lines.filter((l) => /^shutdown /.test(String(l.message)));
      assert.equal(shutdowns.length, workers, JSON.stringify(server.lines));
      assert.equal(shutdowns.reduce((sum, l) => sum + Number(l.totalCalls), 0), 1);
      assert.ok(
        !server.lines.some((l) => /SayHello/.test(String(l.message))),
        "call lines not kept",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
