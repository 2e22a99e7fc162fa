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
import { createTokenProvider, mintingTokenSource } from "../../lib/client/token_provider.ts";
import { type DevPki, generateDevPki } from "../../lib/shared/dev_certs.ts";
import { ROOT, spawnMain } from "../_helpers/spawn_main.ts";

const SECRET = "n".repeat(40);

/** The nginx binary: `GREETER_NGINX`, else the Debian path, else none. */
function findNginx(): string | undefined {
  for (const candidate of [Deno.env.get("GREETER_NGINX"), "/usr/sbin/nginx"]) {
    if (candidate === undefined) continue;
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch { /* not there */ }
  }
  return undefined;
}

const nginx = findNginx();
const required = Deno.env.get("GREETER_REQUIRE_NGINX") === "1";

/** A port that was free a moment ago (nginx needs a number in its configuration). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

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
    stop: () => server[Symbol.asyncDispose](),
  };
}

/** deploy/nginx/greeter.conf with this test's addresses and files, inside a minimal nginx.conf. */
async function nginxConfig(dir: string, port: number, backends: string[]): Promise<string> {
  let site = await Deno.readTextFile(`${ROOT}deploy/nginx/greeter.conf`);
  const replace = (from: string, to: string) => {
    assert.ok(site.includes(from), `deploy/nginx/greeter.conf no longer contains ${from}`);
    site = site.replaceAll(from, to);
  };
  replace("server 127.0.0.1:50051 ", `server ${backends[0]} `);
  replace("server 127.0.0.1:50061 ", `server ${backends[1]} `);
  replace("listen 443 ssl http2;", `listen 127.0.0.1:${port} ssl http2;`);
  replace("/etc/greeter/tls/proxy-cert.pem", `${dir}/server.pem`);
  replace("/etc/greeter/tls/proxy-key.pem", `${dir}/server.key.pem`);
  replace("/etc/greeter/tls/ca.pem", `${dir}/ca.pem`);
  return [
    "daemon off;",
    "master_process on;",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) =>
      `  ${kind}_temp_path ${dir}/${kind};`
    ),
    site,
    "}",
  ].join("\n");
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`nothing listens on ${port}`);
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
    // nginx's workers run as an unprivileged user when started as root.
    await Deno.chmod(dir, 0o755);

    const backends = await Promise.all([spawnBackend(pki), spawnBackend(pki)]);
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/nginx.conf`,
      await nginxConfig(dir, port, backends.map((b) => b.address)),
    );
    const proxy = new Deno.Command(nginx, {
      args: ["-c", `${dir}/nginx.conf`, "-p", dir, "-e", `${dir}/error.log`],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const proxyStderr = new Response(proxy.stderr).text();
    try {
      await waitForPort(port);

      // 1. The whole conformance harness, through the proxy.
      const harness = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "-P=client",
          "--allow-read",
          "client.ts",
          "--target",
          `localhost:${port}`,
          "--ca",
          `${dir}/ca.pem`,
          "--json",
        ],
        cwd: ROOT,
        env: { GREETER_JWT_SECRET: SECRET },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const report = JSON.parse(new TextDecoder().decode(harness.stdout));
      assert.equal(
        harness.code,
        0,
        `harness through nginx: ${JSON.stringify(report.summary ?? report)}\n` +
          new TextDecoder().decode(harness.stderr),
      );

      // 2. Load through the proxy; one backend drains and exits in the middle.
      const tokenProvider = createTokenProvider({
        source: mintingTokenSource({
          secret: new TextEncoder().encode(SECRET),
          issuer: "greeter",
          audience: "helloworld.Greeter",
        }),
      });
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
      while (outcomes.ok < 300) await new Promise((resolve) => setTimeout(resolve, 20));
      const [leaving, staying] = backends;
      const servedBefore = await leaving.handled();
      leaving.child.kill("SIGTERM");
      const status = await leaving.child.status;
      const okAtExit = outcomes.ok;
      // Keep the load on until the survivor has served a good number alone.
      while (outcomes.ok < okAtExit + 300) await new Promise((resolve) => setTimeout(resolve, 20));
      stopAt = 0;
      await load;

      assert.deepEqual(outcomes.failed, [], "no call failed at the client");
      assert.equal(status.code, 0, "the backend drained and exited cleanly");
      assert.ok(servedBefore > 0, "both backends served calls before the shutdown");
      assert.ok((await staying.handled()) > 300, "the other backend took the load");
      // The drain itself may end forced when nginx holds a kept-alive
      // connection past GREETER_DRAIN_TIMEOUT_MS; what matters here is that
      // no caller noticed (above) and the process ended cleanly.
      const summary = await leaving.log.find(/^shutdown/, 10_000);
      assert.ok(summary.how === "graceful" || summary.how === "forced", JSON.stringify(summary));
    } finally {
      proxy.kill("SIGTERM");
      await proxy.status;
      await proxyStderr;
      await Promise.all(backends.map((b) => b.stop()));
      await Deno.remove(dir, { recursive: true });
    }
  },
});
