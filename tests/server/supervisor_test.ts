/**
 * `GREETER_WORKERS`: several `main.ts` processes on one port behave as one
 * server: one start-up line with the shared port, calls spread over the
 * workers, one SIGTERM drains them all and the supervisor exits 0.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { loadGreeterProto } from "../../lib/shared/proto.ts";
import { workerCount } from "../../lib/server/config.ts";
import { MAIN, ROOT, spawnMain } from "../_helpers/spawn_main.ts";
import { bearer, signMainToken } from "../_helpers/tokens.ts";

const SECRET = "w".repeat(40);

Deno.test("two workers share one port, split the calls and drain as one server on SIGTERM", async () => {
  await using server = await spawnMain({
    secret: SECRET,
    env: { GREETER_WORKERS: "2", GREETER_ADMIN: "off" },
    ready: /2 workers listening/,
  });
  const { child, log, ready, port } = server;
  const clients: grpc.Client[] = [];
  try {
    assert.ok(port > 0, "the supervisor names the shared port");
    const metadata = bearer(await signMainToken(SECRET, "workers-test"));
    const { helloworld } = loadGreeterProto();
    // One connection per client: the kernel picks a worker per connection.
    for (let i = 0; i < 24; i++) {
      const client = new helloworld.Greeter(
        `localhost:${port}`,
        grpc.credentials.createSsl(Buffer.from(server.pki!.caCert)),
        { "grpc.use_local_subchannel_pool": 1 },
      );
      clients.push(client);
      const reply = await new Promise<string>((resolve, reject) =>
        client.SayHello(
          { name: `c${i}` },
          metadata,
          (error, r) => error ? reject(error) : resolve(r!.message!),
        )
      );
      assert.equal(reply, `Hello, c${i}!`);
    }
    for (const client of clients) client.close();
    child.kill("SIGTERM");
    const summaries = [
      await log.next(/^shutdown graceful/),
      await log.next(/^shutdown graceful/),
    ];
    const served = summaries.map((s) => Number(s.totalCalls)).sort((a, b) => a - b);
    assert.equal(served[0] + served[1], 24, "every call is counted by one worker");
    assert.ok(served[0] > 0, `one worker served every call: ${served}`);
    // Each worker's lines say which worker wrote them; the supervisor's own do not.
    assert.equal(ready.worker, undefined, "the supervisor's line names no worker");
    assert.deepEqual(summaries.map((s) => s.worker).sort(), [0, 1]);
    const callLines = log.logs.filter((r) =>
      /^\/helloworld\.Greeter\/SayHello OK/.test(String(r.message))
    );
    assert.equal(callLines.length, 24);
    assert.deepEqual([...new Set(callLines.map((r) => r.worker))].sort(), [0, 1]);
    assert.equal((await server.exited()).code, 0);
  } finally {
    for (const client of clients) client.close();
  }
});

Deno.test("GREETER_WORKERS without permission to run Deno is one line and exit code 2", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    // Like -P=server, without its permission to run deno.
    args: [
      "run",
      "-q",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-sys=uid",
      `--allow-write=${ROOT}certs,${ROOT}.greeter`,
      MAIN,
      "--port",
      "0",
    ],
    cwd: ROOT,
    env: { GREETER_WORKERS: "2", GREETER_ADMIN: "off", GREETER_LOG_LEVEL: "error" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr).trim();
  assert.equal(code, 2, text);
  assert.match(text, /^error: GREETER_WORKERS=2 needs permission to run .*deno/);
  assert.equal(text.split("\n").length, 1, text);
  assert.equal(new TextDecoder().decode(stdout), "");
});

Deno.test("GREETER_WORKERS=auto asks for one worker per core", () => {
  assert.equal(workerCount("auto", 16), 16);
  assert.equal(workerCount("auto", 2), 2);
  assert.equal(workerCount("3", 16), 3);
});
