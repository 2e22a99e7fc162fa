/**
 * The server as a user runs it: a subprocess of `main.ts`, judged by exit
 * code, stderr and behaviour on signals.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { signToken } from "../lib/auth/jwt.ts";
import { generateDevPki } from "../lib/certs.ts";
import { loadGreeterProto } from "../lib/proto.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));
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

Deno.test("server in production serves TLS + JWT and drains on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pki = await generateDevPki({ caCommonName: "Example Corp Issuing CA" });
    await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
    await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
    const child = new Deno.Command(Deno.execPath(), {
      args: serverArgs(["--port", "0", "--log-format", "json"]),
      cwd: "/",
      env: {
        GREETER_ENV: "production",
        GREETER_JWT_SECRET: SECRET,
        GREETER_TLS_CERT: `${dir}/server.pem`,
        GREETER_TLS_KEY: `${dir}/server.key.pem`,
      },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    const logs: Record<string, unknown>[] = [];
    const nextLog = async (pattern: RegExp) => {
      while (true) {
        const newline = buffered.indexOf("\n");
        if (newline !== -1) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          const record = JSON.parse(line);
          logs.push(record);
          if (pattern.test(record.message)) return record;
          continue;
        }
        const { value, done } = await lines.read();
        if (done) {
          throw new Error(`server exited before logging ${pattern}; logs: ${JSON.stringify(logs)}`);
        }
        buffered += value;
      }
    };
    const listening = await nextLog(/Greeter listening/);
    assert.equal(listening.transport, "TLS");
    assert.equal(listening.env, "production");
    const port = Number(String(listening.address).split(":").pop());

    const { helloworld } = loadGreeterProto();
    const client = new helloworld.Greeter(
      `localhost:${port}`,
      grpc.credentials.createSsl(Buffer.from(pki.caCert)),
    );
    try {
      const metadata = new grpc.Metadata();
      const token = await signToken({
        secret: new TextEncoder().encode(SECRET),
        issuer: "greeter",
        audience: "helloworld.Greeter",
        subject: "main-test",
      });
      metadata.set("authorization", `Bearer ${token}`);
      const reply = await new Promise<string>((resolve, reject) =>
        client.SayHello(
          { name: "production" },
          metadata,
          (error, value) => error ? reject(error) : resolve(value!.message),
        )
      );
      assert.equal(reply, "Hello, production!");
      const call = await nextLog(/SayHello/);
      assert.equal(call.sub, "main-test");
      assert.ok(!JSON.stringify(logs).includes(token), "token must never be logged");
    } finally {
      client.close();
    }

    child.kill("SIGTERM");
    const summary = await nextLog(/^shutdown/);
    assert.equal(summary.how, "graceful");
    assert.equal(summary.totalCalls, 1);
    await lines.cancel();
    const status = await child.status;
    assert.equal(status.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
