/**
 * Connection-level floods, through `deploy/nginx/greeter.conf` as it ships
 * (the Debian nginx) and directly to a server in this process: nginx ends a
 * WINDOW_UPDATE flood and refuses a client's calls over its per-address rate,
 * while a well-behaved client's calls succeed; the server alone does not end
 * the WINDOW_UPDATE flood (the runtime gap the README documents: nothing in
 * grpc-js or Deno's `node:http2` can see those frames).
 *
 * The attacker connects from `127.0.0.2`, so nginx's per-address limits tell
 * it apart from the well-behaved client on `127.0.0.1` (which the shipped
 * configuration exempts as a local sidecar).
 *
 * Needs the `nginx` binary (Debian package `nginx`); skipped with the reason
 * without it, required in CI (`GREETER_REQUIRE_NGINX=1`).
 */
import assert from "node:assert/strict";
import {
  callBurst,
  controlCalls,
  type FloodTarget,
  rapidResetLoop,
  windowUpdateFlood,
} from "../../lib/bench/connection_floods.ts";
import { findNginx, type RunningNginx, startNginx } from "../../lib/bench/nginx_proxy.ts";
import { startTestServer, type TestServer } from "../_helpers/test_server.ts";

const nginx = findNginx();
const required = Deno.env.get("GREETER_REQUIRE_NGINX") === "1";
/** A flood nginx has not ended by then was not detected. */
const CUT_WITHIN_MS = 3_000;

interface Setup {
  server: TestServer;
  proxy: RunningNginx;
  token: string;
  /** The proxy, as the attacker (127.0.0.2) and as a well-behaved client (127.0.0.1). */
  viaProxy: { attacker: FloodTarget; client: FloodTarget };
  /** The server itself, the same two ways. */
  direct: { attacker: FloodTarget; client: FloodTarget };
  /** Connections nginx has opened to the server so far. */
  backendConnections(): number;
}

/**
 * A TCP relay in front of the server that counts the connections nginx opens
 * to it (the server cannot: grpc-js keeps no count of sessions it ended).
 */
function countingRelay(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const pipes = new Set<Promise<unknown>>();
  const accepting = (async () => {
    for await (const inbound of listener) {
      accepted++;
      const piping = (async () => {
        try {
          const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
          await Promise.allSettled([
            inbound.readable.pipeTo(outbound.writable),
            outbound.readable.pipeTo(inbound.writable),
          ]);
        } catch {
          inbound.close();
        }
      })();
      pipes.add(piping);
      piping.finally(() => pipes.delete(piping));
    }
  })();
  return {
    address: `127.0.0.1:${listener.addr.port}`,
    accepted: () => accepted,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.allSettled([...pipes]);
    },
  };
}

const cases: { name: string; run(setup: Setup): Promise<void> }[] = [
  {
    name: "nginx ends a WINDOW_UPDATE flood within 3 s while a client's calls through it succeed",
    async run({ viaProxy, token, proxy }) {
      const [flood, control] = await Promise.all([
        windowUpdateFlood(viaProxy.attacker, CUT_WITHIN_MS + 2_000),
        controlCalls(viaProxy.client, token, 1_000, 50, 5_000),
      ]);
      assert.ok(
        flood.cutAfterMs !== undefined && flood.cutAfterMs < CUT_WITHIN_MS,
        `flood cut after ${flood.cutAfterMs} ms (${flood.frames} frames)`,
      );
      assert.match(await proxy.errorLog(), /http2 flood detected/);
      assert.equal(control.failed, 0, "no call of the well-behaved client failed");
      assert.ok(control.ok > 0, "the well-behaved client made calls");
    },
  },
  {
    name: "the server alone does not end a WINDOW_UPDATE flood (the runtime gap nginx covers)",
    async run({ direct, token }) {
      const [flood, control] = await Promise.all([
        windowUpdateFlood(direct.attacker, 1_500),
        controlCalls(direct.client, token, 500, 50, 10_000),
      ]);
      assert.equal(flood.cutAfterMs, undefined, `cut after ${flood.cutAfterMs} ms`);
      assert.ok(flood.frames > 100_000, `the server read ${flood.frames} frames`);
      assert.ok(control.ok > 0, "the server still answered");
    },
  },
  {
    name: "nginx refuses a client's calls over its per-address rate with RESOURCE_EXHAUSTED",
    async run({ viaProxy, token }) {
      // burst=200 at once, then 100/s: of 1,000 calls at once, at most
      // 200 + 100 per second they took can pass.
      const started = performance.now();
      const limited = await callBurst(viaProxy.attacker, token, 1_000, 10_000);
      const seconds = Math.ceil((performance.now() - started) / 1000);
      const refused = limited.filter((outcome) => outcome.status === "8");
      const ok = limited.filter((outcome) => outcome.status === "0");
      assert.equal(refused.length + ok.length, limited.length, JSON.stringify(limited[0]));
      assert.ok(ok.length <= 200 + 100 * seconds, `${ok.length} passed in ${seconds} s`);
      assert.ok(ok.length >= 200, `${ok.length} passed: the burst passes`);
      assert.ok(refused.length > 0, "some calls were refused");
      assert.match(refused[0].message, /too many calls or connections from this client \(proxy\)/);
      assert.ok(ok.every((outcome) => outcome.reply.includes("Hello, control!")));
      // An exempt local client is not limited.
      const exempt = await callBurst(viaProxy.client, token, 1_000, 10_000);
      assert.deepEqual(
        exempt.filter((outcome) => outcome.status !== "0").map((o) => o.status),
        [],
        "no call of the exempt client was refused",
      );
    },
  },
  {
    name: "a rapid-reset reconnect loop through nginx opens few connections to the server",
    async run({ viaProxy, backendConnections }) {
      // nginx cannot reuse a connection to the server after a call was reset,
      // so every reset it forwards costs the server a new TLS connection;
      // without the per-address rate that is thousands per second.
      const before = backendConnections();
      const started = performance.now();
      const attack = await rapidResetLoop(viaProxy.attacker, 2_000, 2);
      const seconds = Math.ceil((performance.now() - started) / 1000) + 1;
      const opened = backendConnections() - before;
      assert.ok(attack.resets > 2_000, `the loop reset ${attack.resets} streams`);
      // burst=200, then 100/s.
      assert.ok(opened <= 200 + 100 * seconds, `${opened} connections to the server`);
    },
  },
];

for (const { name, run } of cases) {
  Deno.test({
    name: nginx !== undefined || required
      ? name
      : `${name}: SKIPPED, no nginx binary (apt-get install nginx, or set GREETER_NGINX)`,
    ignore: nginx === undefined && !required,
    async fn() {
      assert.ok(nginx !== undefined, "GREETER_REQUIRE_NGINX=1 but no nginx binary was found");
      const dir = await Deno.makeTempDir({ prefix: "greeter-nginx-floods-" });
      try {
        await using server = await startTestServer();
        await Deno.writeTextFile(`${dir}/server.pem`, server.pki.serverCert);
        await Deno.writeTextFile(`${dir}/server.key.pem`, server.pki.serverKey);
        await Deno.writeTextFile(`${dir}/ca.pem`, server.pki.caCert);
        await using relay = countingRelay(server.port);
        await using proxy = await startNginx(nginx, {
          dir,
          backends: [relay.address, relay.address],
        });
        const target = (port: number) => ({
          attacker: { host: "127.0.0.1", port, ca: server.pki.caCert, localAddress: "127.0.0.2" },
          client: { host: "127.0.0.1", port, ca: server.pki.caCert },
        });
        await run({
          server,
          proxy,
          token: await server.token(),
          viaProxy: target(proxy.port),
          direct: target(server.port),
          backendConnections: relay.accepted,
        });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
