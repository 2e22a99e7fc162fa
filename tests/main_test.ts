/**
 * The server as a user runs it: a subprocess of `main.ts`, judged by exit
 * code, stderr and behaviour on signals.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { loadGreeterProto } from "../lib/shared/proto.ts";
import { MAIN, ROOT, spawnMain } from "./_helpers/spawn_main.ts";
import { bearer, signMainToken } from "./_helpers/tokens.ts";

const SECRET = "m".repeat(40);

/** Permissions like `-P=server`, plus read of the temp dir holding test certificates. */
function serverArgs(extra: string[]): string[] {
  return [
    "run",
    "-q",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-sys=uid",
    "--allow-write=" + ROOT + "certs," + ROOT + ".greeter",
    MAIN,
    ...extra,
  ];
}

async function runMain(args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: serverArgs(args),
    env,
    cwd: "/",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

const MISTAKES: [string, string[], Record<string, string>, RegExp][] = [
  ["an unknown flag", ["--verbose"], {}, /^error: unknown flag --verbose \(see --help\)$/],
  ["a port out of range", ["--port", "99999"], {}, /^error: --port must be a whole number/],
  ["a value on a switch", ["--basic=yes"], {}, /^error: --basic takes no value or =true \/ =false/],
  [
    "a short secret",
    [],
    { GREETER_JWT_SECRET: "tooshort" },
    /^error: GREETER_JWT_SECRET is 8 bytes/,
  ],
  ["a certificate without a key", ["--tls-cert", "x.pem"], {}, /^error: --tls-cert is set but/],
  [
    "a missing key file",
    ["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"],
    { GREETER_JWT_SECRET: SECRET },
    /^error: GREETER_TLS_CERT \/ --tls-cert: cannot read \/nonexistent\/cert\.pem: no such file$/,
  ],
  ["plaintext in production", ["--basic"], { GREETER_ENV: "production" }, /refused in production$/],
  [
    "production without certificates",
    [],
    { GREETER_ENV: "production", GREETER_JWT_SECRET: SECRET },
    /^error: production needs real certificates/,
  ],
];

for (const [mistake, args, env, expected] of MISTAKES) {
  Deno.test(`server start-up refuses ${mistake} with one line and exit code 2`, async () => {
    const { code, stdout, stderr } = await runMain(["--port", "0", ...args], env);
    assert.equal(code, 2, `stderr: ${stderr}`);
    assert.equal(stdout, "");
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
    assert.match(lines[0], expected);
  });
}

Deno.test("server --help prints every setting and exits 0", async () => {
  const { code, stdout } = await runMain(["--help"]);
  assert.equal(code, 0);
  for (const name of ["GREETER_PORT", "GREETER_TLS_CERT", "GREETER_JWT_SECRET", "--basic"]) {
    assert.ok(stdout.includes(name), `help lacks ${name}`);
  }
});

/** `main.ts` in production with throwaway certificates, its JSON log lines readable in order. */
async function spawnProductionServer(extraFlags: string[] = []) {
  const server = await spawnMain({
    // Permissions like -P=server, from outside the project.
    command: () => [Deno.execPath(), ...serverArgs([])],
    cwd: "/",
    flags: ["--port", "0", "--admin-port", "0", "--log-format", "json", ...extraFlags],
    secret: SECRET,
  });
  const { helloworld } = loadGreeterProto();
  const client = new helloworld.Greeter(
    `localhost:${server.port}`,
    grpc.credentials.createSsl(Buffer.from(server.pki!.caCert)),
  );
  const token = await signMainToken(SECRET, "main-test");
  const metadata = bearer(token);
  return {
    ...server,
    client,
    token,
    metadata,
    async [Symbol.asyncDispose]() {
      client.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("server in production serves TLS + JWT and drains on SIGTERM", async () => {
  await using server = await spawnProductionServer();
  assert.equal(server.ready.transport, "TLS");
  assert.equal(server.ready.env, "production");
  const reply = await new Promise<string>((resolve, reject) =>
    server.client.SayHello(
      { name: "production" },
      server.metadata,
      (error, value) => error ? reject(error) : resolve(value!.message),
    )
  );
  assert.equal(reply, "Hello, production!");
  const call = await server.log.next(/SayHello/);
  assert.equal(call.sub, "main-test");
  assert.ok(!JSON.stringify(server.log.logs).includes(server.token), "token must never be logged");

  server.child.kill("SIGTERM");
  const summary = await server.log.next(/^shutdown/);
  assert.equal(summary.how, "graceful");
  assert.equal(summary.totalCalls, 1);
  assert.equal((await server.exited()).code, 0);
});

Deno.test("server cuts off in-flight calls at a second signal during the drain", async () => {
  // Replies 200 ms apart: a 50-reply stream would take 10 s to drain.
  await using server = await spawnProductionServer(["--stream-interval", "200"]);
  const stream = server.client.SayHelloStream({ name: "slow", count: 50 }, server.metadata);
  const replies: string[] = [];
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    stream.on("data", (reply) => replies.push(reply.message));
    stream.on("error", () => {});
    stream.on("status", resolve);
  });
  while (replies.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));

  server.child.kill("SIGTERM");
  await server.log.next(/received: draining/);
  // A copy arriving at once is taken as the same request; see the next test.
  server.child.kill("SIGTERM");
  await server.log.next(/taken as a copy/);
  // A deliberate second signal comes after the copy window (1 s).
  await new Promise((resolve) => setTimeout(resolve, 1100));
  server.child.kill("SIGTERM");
  await server.log.next(/received again: closing in-flight calls now/);
  const summary = await server.log.next(/^shutdown/);
  assert.equal(summary.how, "forced");
  assert.equal(summary.forcedCalls, 1);
  assert.equal((await server.exited()).code, 0);
  const status = await ended;
  assert.notEqual(status.code, grpc.status.OK);
  assert.ok(replies.length < 50, `the stream was cut off after ${replies.length} replies`);
});

Deno.test("server reports its admin endpoint at start-up, and /readyz turns 503 while it drains", async () => {
  await using server = await spawnProductionServer(["--stream-interval", "200"]);
  const admin = String(server.ready.admin);
  assert.match(admin, /^http:\/\/127\.0\.0\.1:\d+$/);
  const get = async (path: string) => {
    const response = await fetch(`${admin}${path}`);
    return { status: response.status, body: await response.text() };
  };
  assert.equal((await get("/readyz")).status, 200);
  await new Promise<void>((resolve, reject) =>
    server.client.SayHello(
      { name: "m" },
      server.metadata,
      (error) => error ? reject(error) : resolve(),
    )
  );
  const metrics = await get("/metrics");
  assert.match(
    metrics.body,
    /^grpc_server_handled_total\{grpc_type="unary",grpc_service="helloworld.Greeter",grpc_method="SayHello",grpc_code="OK"\} 1$/m,
  );
  assert.match(metrics.body, /^process_resident_memory_bytes \d+/m);

  const stream = server.client.SayHelloStream({ name: "slow", count: 50 }, server.metadata);
  const first = new Promise((resolve) => stream.once("data", resolve));
  stream.on("error", () => {});
  await first;
  server.child.kill("SIGTERM");
  await server.log.next(/received: draining/);
  assert.deepEqual(await get("/readyz"), { status: 503, body: "shutting down\n" });
  assert.equal((await get("/healthz")).status, 200, "alive while draining");
  // Past the 1 s copy window, a second signal forces (sooner, it would be taken as a copy).
  await new Promise((resolve) => setTimeout(resolve, 1100));
  server.child.kill("SIGTERM");
  await server.log.next(/^shutdown/);
  assert.equal((await server.exited()).code, 0);
  await assert.rejects(fetch(`${admin}/healthz`), "the admin endpoint closes with the server");
});

Deno.test("under -P=server, a YAML policy is read and a typo in it stops start-up with one line", async () => {
  // The YAML parser reads two debug switches from the environment; the
  // server's permission set must allow them, or every YAML policy fails.
  const dir = `${ROOT}.greeter`;
  await Deno.mkdir(dir, { recursive: true });
  const policy = await Deno.makeTempFile({ dir, prefix: "policy-", suffix: ".yaml" });
  try {
    await Deno.writeTextFile(policy, "rules:\n  helloworld.Greeter/SayBye: { scopes: [greet] }\n");
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-P=server", "main.ts", "--port", "0", "--admin", "off"],
      env: { GREETER_AUTHZ_FILE: policy, GREETER_JWT_SECRET: SECRET },
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(stderr).trimEnd().split("\n");
    assert.equal(code, 2, lines.join("\n"));
    assert.deepEqual(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /rule "helloworld\.Greeter\/SayBye" names no method this server has$/);
  } finally {
    await Deno.remove(policy);
  }
});

/** `main.ts` under the server's own permission set, as `deno task server` runs it. */
async function runUnderServerPermissions(env: Record<string, string>) {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", `--config=${ROOT}deno.json`, "-P=server", MAIN, "--port", "0"],
    cwd: ROOT,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", ...env },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr).trimEnd() };
}

const OUTSIDE_PATHS: [string, string, RegExp][] = [
  [
    "reads certificates under /etc/greeter with the server's permission set",
    "/etc/greeter/missing-cert.pem",
    /^error: GREETER_TLS_CERT \/ --tls-cert: cannot read \/etc\/greeter\/missing-cert\.pem: no such file$/,
  ],
  [
    "reads Kubernetes secrets under /var/run/secrets with the server's permission set",
    "/var/run/secrets/greeter/missing-cert.pem",
    /cannot read \/var\/run\/secrets\/greeter\/missing-cert\.pem: no such file$/,
  ],
  [
    "names the exact command for a certificate anywhere else",
    "/srv/elsewhere/cert.pem",
    /^error: GREETER_TLS_CERT \/ --tls-cert: cannot read \/srv\/elsewhere\/cert\.pem: the server's permission set .* run "deno run -q -P=server --allow-read=\.,\/srv\/elsewhere main\.ts" from the project/,
  ],
];

for (const [name, cert, expected] of OUTSIDE_PATHS) {
  Deno.test(`server started as deno task server ${name}`, async () => {
    const { code, stderr } = await runUnderServerPermissions({
      GREETER_TLS_CERT: cert,
      GREETER_TLS_KEY: cert.replace("cert", "key"),
      GREETER_JWT_SECRET: SECRET,
    });
    assert.equal(code, 2, stderr);
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.match(stderr, expected);
  });
}
