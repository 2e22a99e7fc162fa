/**
 * Worker recycling and restarts through the real `main.ts`: with a tiny
 * memory limit the supervisor replaces its worker every few seconds while
 * clients call in a loop (one long-lived channel, and a new channel per
 * call), and every call is OK; a worker killed with SIGKILL is replaced and the
 * server keeps serving; a worker that keeps dying makes the supervisor give up.
 */
import assert from "node:assert/strict";
import { createGreeterClient, type GreeterConnection } from "../../lib/client/greeter_client.ts";
import { superviseWorkers } from "../../lib/server/supervisor.ts";
import type { Logger } from "@logtape/logtape";
import { spawnMain } from "../_helpers/spawn_main.ts";
import { mainTokenProvider } from "../_helpers/tokens.ts";

const SECRET = "r".repeat(40);

/** Starts `main.ts` over TLS + JWT on a free port, with only the environment given here. */
async function startServer(env: Record<string, string>) {
  const server = await spawnMain({
    secret: SECRET,
    env: { GREETER_ADMIN: "off", ...env },
    ready: /listening on .* sharing the port/,
    // SIGTERM drains every worker; a worker whose supervisor is gone drains on its own.
    graceMs: 15_000,
  });
  const tokenProvider = mainTokenProvider(SECRET, "recycle-test");
  const clients: GreeterConnection[] = [];
  return {
    child: server.child,
    log: server.log,
    exited: server.exited,
    port: server.port,
    pids: String(server.ready.pids).split(",").map(Number),
    /** A new channel; `keep` closes it with the server, otherwise the caller closes it. */
    client(keep = true): GreeterConnection {
      const client = createGreeterClient({
        target: `localhost:${server.port}`,
        tls: { ca: server.pki!.caCert },
        tokenProvider,
        deadlineMs: 10_000,
        tracing: false,
      });
      if (keep) clients.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) client.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("supervisor replaces a worker past its memory limit while calls in a loop all succeed", async () => {
  // 1 MB: every worker is over the limit, so one is replaced every few seconds.
  await using server = await startServer({ GREETER_WORKER_MAX_RSS_MB: "1" });
  const { pids } = server;
  assert.equal(pids.length, 1, "one supervisor, one worker");
  const shared = server.client();
  const statuses = new Map<string, number>();
  const failures: string[] = [];
  let stop = false;
  const count = (outcome: string) => statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
  const call = async (client: GreeterConnection, name: string) => {
    try {
      const reply = await client.sayHello({ name });
      count(reply.message === `Hello, ${name}!` ? "OK" : `wrong reply ${reply.message}`);
    } catch (error) {
      failures.push(`${name} at ${new Date().toISOString()}: ${(error as Error).message}`);
      count("failed");
      // A server that is gone fails calls at once: do not spin.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  // A long-lived channel, which follows each hand-over, and new connections
  // (a new channel for each call), some of which arrive as the old worker
  // stops listening.
  const loops = [
    (async () => {
      for (let i = 0; !stop && failures.length < 50; i++) await call(shared, `shared-${i}`);
    })(),
    ...[0, 1].map((n) =>
      (async () => {
        for (let i = 0; !stop && failures.length < 50; i++) {
          const client = server.client(false);
          await call(client, `fresh-${n}-${i}`);
          client.close();
          // Paced: on Deno 2.9.3 every closed client channel keeps a lot of the
          // test's own memory, so a tight loop starves the test.
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })()
    ),
  ];
  try {
    const first = await server.log.next(/recycled/);
    assert.equal(first.oldPid, pids[0], "the first worker is the one replaced");
    assert.ok(Number(first.oldRssMb) > 1, "the line gives the old worker's memory");
    const second = await server.log.next(/recycled/);
    assert.equal(second.oldPid, first.newPid, "the replacement served until it was replaced");
    assert.notEqual(second.newPid, first.newPid);
    // Calls keep going after the second hand-over.
    const before = statuses.get("OK") ?? 0;
    const deadline = Date.now() + 10_000;
    while ((statuses.get("OK") ?? 0) < before + 20 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  const ok = statuses.get("OK") ?? 0;
  const events = server.log.logs.filter((l) => !/SayHello/.test(String(l.message)))
    .map((l) => `${l.timestamp} ${l.message}`);
  assert.deepEqual(failures, [], `every call OK (${ok} were); server: ${events.join("\n")}`);
  assert.ok(ok >= 20, `calls went on across the recycles: ${ok}`);
  server.child.kill("SIGTERM");
  await server.log.next(/draining every worker/);
  assert.equal((await server.exited()).code, 0, "the supervisor drains and exits 0");
});

Deno.test("supervisor restarts a worker killed with SIGKILL and keeps serving", async () => {
  // A limit it never reaches: the supervisor runs for its restarts alone.
  await using server = await startServer({ GREETER_WORKER_MAX_RSS_MB: "100000" });
  const { pids } = server;
  const client = server.client();
  assert.equal((await client.sayHello({ name: "before" })).message, "Hello, before!");
  Deno.kill(pids[0], "SIGKILL");
  const died = await server.log.next(/exited unexpectedly/);
  assert.equal(died.pid, pids[0]);
  assert.equal(died.how, "signal SIGKILL");
  const restarted = await server.log.next(/restarted/);
  assert.notEqual(restarted.pid, pids[0]);
  assert.equal((await client.sayHello({ name: "after" })).message, "Hello, after!");
  server.child.kill("SIGTERM");
  assert.equal((await server.exited()).code, 0);
});

Deno.test("supervisor gives up and exits 1 when workers keep dying", async () => {
  const lines: string[] = [];
  const record = (message: string) => lines.push(message);
  const never = new Promise<string>(() => {});
  // A worker that says it listens, then dies 100 ms later.
  const code = await superviseWorkers({
    count: 1,
    host: "127.0.0.1",
    port: 1,
    logger: { info: record, warn: record, error: record } as unknown as Logger,
    drain: never,
    force: never,
    restart: { maxCrashes: 2, windowMs: 60_000, initialBackoffMs: 10 },
    spawn: (index) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `console.log(JSON.stringify({ worker: ${index}, port: 1 })); ` +
          "setTimeout(() => Deno.exit(3), 100);",
        ],
        stdout: "piped",
        stderr: "null",
      }).spawn(),
  });
  assert.equal(code, 1);
  assert.equal(lines.filter((l) => /exited unexpectedly/.test(l)).length, 2);
  assert.equal(lines.filter((l) => /restarted/.test(l)).length, 2);
  assert.equal(lines.filter((l) => /giving up/.test(l)).length, 1);
});
