/**
 * Connection-level floods, through the `deploy/` proxies as they ship
 * (`nginx/greeter.conf` with the Debian nginx, `haproxy/greeter.cfg` with
 * the Debian HAProxy) and directly to a server in this process: the proxies
 * keep a WINDOW_UPDATE flood from the server (nginx closes it) and refuse a
 * client's calls over its per-address rate, a rapid-reset loop through them
 * costs the server few connections, while a well-behaved client's calls
 * succeed; the server alone does not end the WINDOW_UPDATE flood (the runtime
 * gap the README documents: nothing in grpc-js or Deno's `node:http2` can see
 * those frames).
 *
 * The attacker connects from `127.0.0.2`, so the proxies' per-address limits
 * tell it apart from the well-behaved client on `127.0.0.1` (which the
 * shipped configurations exempt as a local sidecar).
 *
 * Needs the `nginx` and `haproxy` binaries (Debian packages of those names);
 * a proxy's cases are skipped with the reason without it, and required in CI
 * (`GREETER_REQUIRE_NGINX=1`, `GREETER_REQUIRE_HAPROXY=1`).
 */
import assert from "node:assert/strict";
import {
  callBurst,
  connectBurst,
  controlCalls,
  type FloodTarget,
  rapidResetLoop,
  windowUpdateFlood,
} from "../../lib/bench/connection_floods.ts";
import {
  findHaproxy,
  findNginx,
  type RunningProxy,
  startHaproxy,
  startNginx,
} from "../../lib/bench/deploy_proxies.ts";
import { startTestServer, type TestServer } from "../_helpers/test_server.ts";

/** HAProxy runs a thread per core, each with its own connections to the servers. */
const HAPROXY_THREADS = navigator.hardwareConcurrency;
/** A flood nginx has not ended by then was not detected. */
const CUT_WITHIN_MS = 3_000;

interface Setup {
  server: TestServer;
  proxy: RunningProxy;
  token: string;
  /** The proxy, as the attacker (127.0.0.2) and as a well-behaved client (127.0.0.1). */
  viaProxy: { attacker: FloodTarget; client: FloodTarget };
  /** The server itself, the same two ways. */
  direct: { attacker: FloodTarget; client: FloodTarget };
  /** Connections the proxy has opened to the server so far. */
  backendConnections(): number;
}

/** What differs between the proxies. */
interface ProxyUnderTest {
  name: "nginx" | "haproxy";
  binary: string | undefined;
  required: boolean;
  start: typeof startNginx;
  /** Most calls one address may pass in `seconds` when it asks for many more. */
  maxCalls(seconds: number): number;
  /** Fewest calls it passes at once before it refuses. */
  minCalls: number;
  /** Most connections to the server a 2 s rapid-reset loop may cost. */
  maxBackendConnections: number;
}

const proxies: ProxyUnderTest[] = [
  {
    name: "nginx",
    binary: findNginx(),
    required: Deno.env.get("GREETER_REQUIRE_NGINX") === "1",
    start: startNginx,
    // burst=200, then 100 per second.
    maxCalls: (seconds) => 200 + 100 * seconds,
    minCalls: 200,
    // nginx opens a connection per forwarded call and drops it when the call is
    // reset: with the rate, at most 200 + 100 per second (of 3 s at most).
    maxBackendConnections: 500,
  },
  {
    name: "haproxy",
    binary: findHaproxy(),
    required: Deno.env.get("GREETER_REQUIRE_HAPROXY") === "1",
    start: startHaproxy,
    // more than 100 in the last second is refused.
    maxCalls: (seconds) => 100 * (seconds + 1),
    minCalls: 100,
    // HAProxy multiplexes calls over its connections to the server (a pool per
    // thread): a handful on a quiet machine, 37 once on a machine at load 9
    // (a connection busy with a reset call is not reused at once). One
    // connection per call would be thousands, as the loop resets > 2,000.
    maxBackendConnections: 100,
  },
];

/**
 * A TCP relay in front of the server that counts the connections the proxy
 * opens to it (the server cannot: grpc-js keeps no count of sessions it ended).
 */
function countingRelay(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const pipes = new Set<Promise<unknown>>();
  let closed = false;
  const accepting = (async () => {
    while (!closed) {
      let inbound: Deno.TcpConn;
      try {
        inbound = await listener.accept();
      } catch {
        // The listener was closed, or a connection was reset before it was accepted.
        continue;
      }
      accepted++;
      const piping = (async () => {
        try {
          const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
          await Promise.allSettled([
            inbound.readable.pipeTo(outbound.writable),
            outbound.readable.pipeTo(inbound.writable),
          ]);
        } catch {
          try {
            inbound.close();
          } catch { /* closed already */ }
        }
      })();
      pipes.add(piping);
      piping.then(() => pipes.delete(piping));
    }
  })();
  return {
    address: `127.0.0.1:${listener.addr.port}`,
    accepted: () => accepted,
    async [Symbol.asyncDispose]() {
      closed = true;
      listener.close();
      await accepting;
      await Promise.allSettled([...pipes]);
    },
  };
}

const cases: {
  name: string;
  only?: ProxyUnderTest["name"];
  run(setup: Setup, proxy: ProxyUnderTest): Promise<void>;
}[] = [
  {
    name: "nginx ends a WINDOW_UPDATE flood within 3 s while a client's calls through it succeed",
    only: "nginx",
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
    name:
      "haproxy absorbs a WINDOW_UPDATE flood: the server never sees it and a client's calls succeed",
    only: "haproxy",
    async run({ viaProxy, token, backendConnections }) {
      const before = backendConnections();
      const [flood, control] = await Promise.all([
        windowUpdateFlood(viaProxy.attacker, 2_000),
        controlCalls(viaProxy.client, token, 1_000, 50, 5_000),
      ]);
      assert.ok(flood.frames > 100_000, `haproxy read ${flood.frames} frames`);
      assert.equal(control.failed, 0, "no call of the well-behaved client failed");
      assert.ok(control.ok > 0, "the well-behaved client made calls");
      // The flood has no stream: HAProxy forwards nothing of it. The control's
      // calls need a connection per HAProxy thread at most.
      const opened = backendConnections() - before;
      assert.ok(opened <= HAPROXY_THREADS, `${opened} connections to the server`);
    },
  },
  {
    name: "the server alone does not end a WINDOW_UPDATE flood (the runtime gap the proxy covers)",
    only: "nginx",
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
    name: "refuses a client's calls over its per-address rate with RESOURCE_EXHAUSTED",
    async run({ viaProxy, token }, proxy) {
      const started = performance.now();
      const limited = await callBurst(viaProxy.attacker, token, 1_000, 10_000);
      const seconds = Math.ceil((performance.now() - started) / 1000);
      const refused = limited.filter((outcome) => outcome.status === "8");
      const ok = limited.filter((outcome) => outcome.status === "0");
      assert.equal(refused.length + ok.length, limited.length, JSON.stringify(limited[0]));
      assert.ok(ok.length <= proxy.maxCalls(seconds), `${ok.length} passed in ${seconds} s`);
      assert.ok(ok.length >= proxy.minCalls, `${ok.length} passed: the burst passes`);
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
    name: "a rapid-reset reconnect loop through it opens few connections to the server",
    async run({ viaProxy, backendConnections }, proxy) {
      const before = backendConnections();
      const attack = await rapidResetLoop(viaProxy.attacker, 2_000, 2);
      const opened = backendConnections() - before;
      assert.ok(attack.resets > 2_000, `the loop reset ${attack.resets} streams`);
      assert.ok(opened <= proxy.maxBackendConnections, `${opened} connections to the server`);
    },
  },
  {
    name: "haproxy closes an address's new connections beyond 20 a second before TLS",
    only: "haproxy",
    async run({ viaProxy }) {
      const admitted = await connectBurst(viaProxy.attacker, 40);
      assert.ok(admitted >= 15 && admitted <= 21, `${admitted} of 40 admitted`);
      assert.equal(await connectBurst(viaProxy.client, 40), 40, "the exempt client is not limited");
    },
  },
];

for (const proxy of proxies) {
  for (const { name, only, run } of cases) {
    if (only !== undefined && only !== proxy.name) continue;
    const title = name.startsWith(proxy.name) || name.startsWith("the server")
      ? name
      : `${proxy.name} ${name}`;
    const skip = proxy.binary === undefined && !proxy.required;
    Deno.test({
      name: skip
        ? `${title}: SKIPPED, no ${proxy.name} binary (apt-get install ${proxy.name})`
        : title,
      ignore: skip,
      async fn() {
        assert.ok(
          proxy.binary !== undefined,
          `GREETER_REQUIRE_${proxy.name.toUpperCase()}=1 but no ${proxy.name} binary was found`,
        );
        const dir = await Deno.makeTempDir({ prefix: `greeter-${proxy.name}-floods-` });
        try {
          await using server = await startTestServer();
          await Deno.writeTextFile(`${dir}/server.pem`, server.pki.serverCert);
          await Deno.writeTextFile(`${dir}/server.key.pem`, server.pki.serverKey);
          await Deno.writeTextFile(`${dir}/ca.pem`, server.pki.caCert);
          await using relay = countingRelay(server.port);
          await using running = await proxy.start(proxy.binary, {
            dir,
            backends: [relay.address, relay.address],
          });
          const target = (port: number) => ({
            attacker: { host: "127.0.0.1", port, ca: server.pki.caCert, localAddress: "127.0.0.2" },
            client: { host: "127.0.0.1", port, ca: server.pki.caCert },
          });
          await run({
            server,
            proxy: running,
            token: await server.token(),
            viaProxy: target(running.port),
            direct: target(server.port),
            backendConnections: relay.accepted,
          }, proxy);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    });
  }
}
