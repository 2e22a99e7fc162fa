/**
 * Interop with peers that share no code with this project: the independent
 * Python conformance client (grpcio) and a Node.js grpc-js TLS client, both
 * run as child processes against a real server started here.
 *
 * The Node case is the TLS trap: with `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`
 * pointing at the system bundle, a server that sends that bundle as its
 * certificate-request CA list makes Node and Python clients fail the handshake.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PYTHON, pythonPeerTest } from "../_helpers/python_peer.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { TEST_AUDIENCE, TEST_ISSUER } from "../_helpers/tokens.ts";

const PYTHON_CLIENT = fileURLToPath(new URL("../interop/greeter_client.py", import.meta.url));
const NODE_CLIENT = fileURLToPath(new URL("../interop/node_tls_client.mjs", import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SYSTEM_ROOTS = "/etc/ssl/certs/ca-certificates.crt";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(command, {
    args,
    env,
    cwd: PROJECT_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** Fails with the Debian packages to install when `check` cannot run. */
async function requireTool(command: string, args: string[], packages: string): Promise<void> {
  let output: Output;
  try {
    output = await run(command, args);
  } catch (error) {
    assert.fail(
      `${command} is not installed (${error}); install the Debian package(s): ${packages}`,
    );
  }
  assert.equal(
    output.code,
    0,
    `${command} ${args.join(" ")} failed; install the Debian package(s): ${packages}\n` +
      output.stderr,
  );
}

/** A temp dir with the CA certificate and the secret, removed on dispose. */
async function materialDir(caCert: string, secret: Uint8Array) {
  const dir = await Deno.makeTempDir({ prefix: "greeter-interop-" });
  await Deno.writeTextFile(`${dir}/ca.pem`, caCert);
  await Deno.writeFile(`${dir}/secret`, secret);
  return {
    ca: `${dir}/ca.pem`,
    secret: `${dir}/secret`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A printable secret: the Python scripts drop one trailing newline from the secret file. */
function hexSecret(): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return new TextEncoder().encode(
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""),
  );
}

Deno.test(
  pythonPeerTest(
    "the independent Python client passes every conformance case against the server",
    async () => {
      // Tolerance 0 lets the client's opt-in expiry case (a 1 s token on an idle bidi) end quickly.
      await using server = await startTestServer({
        auth: { secret: hexSecret(), clockToleranceSeconds: 0 },
      });
      await using files = await materialDir(server.pki.caCert, server.secret);
      const output = await run(PYTHON, [
        PYTHON_CLIENT,
        "--target",
        `localhost:${server.port}`,
        "--ca",
        files.ca,
        "--secret-file",
        files.secret,
        "--issuer",
        TEST_ISSUER,
        "--audience",
        TEST_AUDIENCE,
        "--expiry-check",
        "5",
      ]);
      const failing = output.stdout.split("\n").filter((line) => line.endsWith("FAIL"));
      assert.deepEqual(failing, [], `failing cases:\n${output.stdout}\n${output.stderr}`);
      const summary = /^(\d+) passed, (\d+) failed$/m.exec(output.stdout);
      assert.ok(summary, `no summary line:\n${output.stdout}\n${output.stderr}`);
      assert.equal(summary[2], "0");
      assert.ok(Number(summary[1]) >= 70, `only ${summary[1]} cases ran`);
      assert.equal(output.code, 0, output.stderr);
    },
  ),
);

Deno.test("a Node.js client completes a TLS call while GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names the system bundle", async (t) => {
  // The trap only springs if the server process itself sees the variable.
  assert.equal(
    Deno.env.get("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"),
    SYSTEM_ROOTS,
    "this test must run with GRPC_DEFAULT_SSL_ROOTS_FILE_PATH set to the system bundle",
  );
  await requireTool("node", ["--version"], "nodejs");
  await using server = await startTestServer();
  await using files = await materialDir(server.pki.caCert, server.secret);
  const env = { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: SYSTEM_ROOTS };
  const args = (token: string) => [
    NODE_CLIENT,
    "--target",
    `localhost:${server.port}`,
    "--ca",
    files.ca,
    "--token",
    token,
    "--name",
    "node-interop",
  ];

  await t.step("the Node client's SayHello succeeds over TLS", async () => {
    const output = await run("node", args(await server.token()), env);
    assert.equal(output.code, 0, `${output.stdout}\n${output.stderr}`);
    assert.deepEqual(JSON.parse(output.stdout), { message: "Hello, node-interop!" });
  });
  await t.step(
    "the Node client sees UNAUTHENTICATED for a bad token (the call really reached us)",
    async () => {
      const output = await run("node", args(await server.token("bad-signature")), env);
      assert.equal(output.code, 1, output.stderr);
      assert.equal(output.stdout.trim(), "16 UNAUTHENTICATED: invalid token signature");
    },
  );
});

const PEER_CASES: [string, string | undefined, boolean, "runs" | "skips" | "fails"][] = [
  ["runs where the Python packages are installed", undefined, false, "runs"],
  [
    "is skipped, naming the packages, on a developer machine without them",
    "needs X",
    false,
    "skips",
  ],
  ["fails in CI without them", "needs X", true, "fails"],
];

for (const [name, missing, ci, expected] of PEER_CASES) {
  Deno.test(`a Python interop test ${name}`, async () => {
    let ran = false;
    const definition = pythonPeerTest(
      "peer",
      () => {
        ran = true;
        return Promise.resolve();
      },
      missing,
      ci,
    );
    assert.equal(definition.ignore === true, expected === "skips");
    if (expected === "skips") assert.match(definition.name, /SKIPPED: needs X \(required in CI\)$/);
    if (expected === "skips") return;
    const outcome = await new Promise((resolve) => resolve(definition.fn!({} as Deno.TestContext)))
      .then(
        () => "runs",
        () => "fails",
      );
    assert.equal(outcome, expected);
    assert.equal(ran, expected === "runs");
  });
}
