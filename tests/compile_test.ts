/**
 * `deno task compile` builds two binaries, `dist/greeter-server` and
 * `dist/greeter-client`, each with its least-privilege permission set from
 * `deno.json` (`server-binary`, `client-binary`). This test builds them
 * exactly as the tasks do, starts the server binary in production mode with
 * throwaway certificates, makes a real TLS + JWT call to it, runs the client
 * binary against it, and stops it with SIGTERM.
 *
 * `deno compile` needs Deno's `denort` runtime, which it downloads unless
 * `DENORT_BIN` names a local copy; no package registry this project can reach
 * ships one. So the test runs only where `DENORT_BIN` is set, and its name
 * says why when it is skipped.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { signToken } from "../lib/auth/jwt.ts";
import { generateDevPki } from "../lib/shared/dev_certs.ts";
import { loadGreeterProto } from "../lib/shared/proto.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const denort = Deno.env.get("DENORT_BIN");
const SECRET = "compiled-binary-test-secret-".repeat(2);

/** Runs `deno task <name>` as written in deno.json, with the output path moved to `output`. */
async function buildLikeTask(name: string, distPath: string, output: string): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const task: string = config.tasks[name];
  assert.ok(task.includes(`--output ${distPath} `), task);
  const args = task.replace(`--output ${distPath} `, `--output ${output} `).split(" ").slice(1);
  const build = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
}

/** Reads JSON log lines from `stream` until one matches `pattern`. */
async function logLine(
  lines: ReadableStreamDefaultReader<string>,
  pattern: RegExp,
): Promise<Record<string, unknown>> {
  let buffered = "";
  while (true) {
    const newline = buffered.indexOf("\n");
    if (newline !== -1) {
      const record = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if (pattern.test(String(record.message))) return record;
      continue;
    }
    const { value, done } = await lines.read();
    if (done) throw new Error(`the server exited before logging ${pattern}`);
    buffered += value;
  }
}

Deno.test({
  name: denort
    ? "deno task compile builds a server and a client binary that serve and call over TLS with JWT"
    : "deno task compile SKIPPED: set DENORT_BIN to a denort 2.9.3 binary to build and run the binaries",
  ignore: !denort,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await buildLikeTask("compile:server", "dist/greeter-server", `${dir}/greeter-server`);
      await buildLikeTask("compile:client", "dist/greeter-client", `${dir}/greeter-client`);

      // Not a development CA: production refuses certificates from one.
      const pki = await generateDevPki({ caCommonName: "Example Corp Issuing CA" });
      await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
      await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
      await Deno.writeTextFile(`${dir}/ca.pem`, pki.caCert);

      // Run from elsewhere: nothing may depend on the working directory.
      const server = new Deno.Command(`${dir}/greeter-server`, {
        args: ["--port", "0", "--admin-port", "0", "--log-format", "json"],
        cwd: dir,
        clearEnv: true,
        env: {
          GREETER_ENV: "production",
          GREETER_JWT_SECRET: SECRET,
          GREETER_TLS_CERT: `${dir}/server.pem`,
          GREETER_TLS_KEY: `${dir}/server.key.pem`,
        },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const lines = server.stderr.pipeThrough(new TextDecoderStream()).getReader();
      try {
        const listening = await logLine(lines, /Greeter listening/);
        const port = Number(String(listening.address).split(":").pop());

        const { helloworld } = loadGreeterProto();
        const client = new helloworld.Greeter(
          `localhost:${port}`,
          grpc.credentials.createSsl(Buffer.from(pki.caCert)),
        );
        try {
          const token = await signToken({
            secret: new TextEncoder().encode(SECRET),
            issuer: "greeter",
            audience: "helloworld.Greeter",
            subject: "compile-test",
          });
          const call = (metadata: grpc.Metadata) =>
            new Promise<{ code: grpc.status; message?: string }>((resolve) =>
              client.SayHello(
                { name: "compiled" },
                metadata,
                (error, reply) =>
                  resolve(error ? { code: error.code } : { code: grpc.status.OK, ...reply }),
              )
            );
          const withToken = new grpc.Metadata();
          withToken.set("authorization", `Bearer ${token}`);
          assert.deepEqual(await call(withToken), {
            code: grpc.status.OK,
            message: "Hello, compiled!",
          });
          assert.equal((await call(new grpc.Metadata())).code, grpc.status.UNAUTHENTICATED);
        } finally {
          client.close();
        }

        const basic = await new Deno.Command(`${dir}/greeter-client`, {
          args: ["basic", "--target", `localhost:${port}`, "--ca", `${dir}/ca.pem`],
          cwd: dir,
          clearEnv: true,
          env: { GREETER_JWT_SECRET: SECRET },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const printed = new TextDecoder().decode(basic.stdout);
        assert.equal(basic.code, 0, new TextDecoder().decode(basic.stderr));
        assert.match(printed, /Hello, world!/);
      } finally {
        server.kill("SIGTERM");
        await lines.cancel();
      }
      assert.equal((await server.status).code, 0, "SIGTERM drains and exits 0");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("each binary's permission set allows what its task's set allows, less write and run", async (t) => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const sets = config.permissions;
  for (const [binary, task] of [["server-binary", "server"], ["client-binary", "client"]]) {
    await t.step(`${binary} matches ${task} in network, environment and sys`, () => {
      for (const kind of ["net", "env", "sys"]) {
        assert.deepEqual(sets[binary][kind], sets[task][kind], `${binary}.${kind}`);
      }
      assert.equal(sets[binary].write, undefined, "a binary writes nothing");
      assert.equal(sets[binary].run, undefined, "a binary starts no subprocess");
      assert.equal(sets[binary].prompt, undefined);
    });
  }
  await t.step("the compile tasks use those sets and never prompt", () => {
    assert.match(config.tasks["compile:server"], / --no-prompt -P=server-binary /);
    assert.match(config.tasks["compile:client"], / --no-prompt -P=client-binary /);
  });
});
