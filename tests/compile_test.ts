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
import { loadGreeterProto } from "../lib/shared/proto.ts";
import { ROOT, spawnMain } from "./_helpers/spawn_main.ts";
import { signMainToken } from "./_helpers/tokens.ts";

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

      // Run from elsewhere: nothing may depend on the working directory.
      await using server = await spawnMain({
        command: () => [`${dir}/greeter-server`],
        flags: ["--port", "0", "--admin-port", "0", "--log-format", "json"],
        cwd: dir,
        secret: SECRET,
      });
      const { port } = server;
      const pki = server.pki!;

      const { helloworld } = loadGreeterProto();
      const client = new helloworld.Greeter(
        `localhost:${port}`,
        grpc.credentials.createSsl(Buffer.from(pki.caCert)),
      );
      try {
        const token = await signMainToken(SECRET, "compile-test");
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
        args: ["basic", "--target", `localhost:${port}`, "--ca", `${server.dir}/ca.pem`],
        cwd: dir,
        clearEnv: true,
        env: { GREETER_JWT_SECRET: SECRET },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const printed = new TextDecoder().decode(basic.stdout);
      assert.equal(basic.code, 0, new TextDecoder().decode(basic.stderr));
      assert.match(printed, /Hello, world!/);
      server.signal("SIGTERM");
      assert.equal((await server.exited()).code, 0, "SIGTERM drains and exits 0");
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
