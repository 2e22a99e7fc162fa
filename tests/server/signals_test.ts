/**
 * Shutdown signals: the copy-window policy on a fake clock, then the real
 * thing: `deno task server` in a process group of its own, signalled as a
 * terminal's Ctrl-C or systemd's `KillMode=control-group` signals it (the
 * whole group at once), with a bidi call in flight that must complete.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { readSecretFile } from "../../lib/auth/secret_file.ts";
import { loadGreeterProto } from "../../lib/shared/proto.ts";
import { listenForShutdownSignals, type SignalSource } from "../../lib/server/signals.ts";
import { freshCopy } from "../_helpers/fresh_copy.ts";
import { spawnMain } from "../_helpers/spawn_main.ts";
import { within } from "../_helpers/wait_for.ts";
import { bearer, signMainToken } from "../_helpers/tokens.ts";

/** A signal source whose signals the test delivers, and which records the listeners. */
function fakeSource() {
  const listeners = new Map<Deno.Signal, Set<() => void>>();
  const source: SignalSource = {
    add: (signal, handler) => {
      if (!listeners.has(signal)) listeners.set(signal, new Set());
      listeners.get(signal)!.add(handler);
    },
    remove: (signal, handler) => listeners.get(signal)?.delete(handler),
  };
  const deliver = (signal: Deno.Signal) => {
    const handlers = listeners.get(signal);
    if (!handlers || handlers.size === 0) throw new Error(`${signal} with no listener: death`);
    for (const handler of handlers) handler();
  };
  const count = () => [...listeners.values()].reduce((n, set) => n + set.size, 0);
  return { source, deliver, count };
}

const POLICY: [string, [Deno.Signal, number][], "drain" | "force", number][] = [
  ["one signal drains", [["SIGTERM", 0]], "drain", 0],
  [
    "a copy forwarded by deno task 2 ms later still only drains",
    [["SIGTERM", 0], ["SIGTERM", 2]],
    "drain",
    1,
  ],
  [
    "three copies within the window (npx, deno task, the group) only drain",
    [["SIGINT", 0], ["SIGINT", 1], ["SIGINT", 5]],
    "drain",
    2,
  ],
  [
    "a SIGINT copy of a SIGTERM within the window only drains",
    [["SIGTERM", 0], ["SIGINT", 300]],
    "drain",
    1,
  ],
  ["a second signal after the window forces", [["SIGTERM", 0], ["SIGTERM", 1500]], "force", 0],
  [
    "a deliberate second signal after copies forces",
    [["SIGINT", 0], ["SIGINT", 3], ["SIGINT", 2000]],
    "force",
    1,
  ],
];

for (const [name, deliveries, expected, copies] of POLICY) {
  Deno.test(`shutdown signal policy: ${name}`, async () => {
    const fake = fakeSource();
    let clock = 0;
    const seen: number[] = [];
    const signals = listenForShutdownSignals({
      source: fake.source,
      now: () => clock,
      copyWindowMs: 1000,
      onCopy: (_signal, since) => seen.push(since),
    });
    let forced: Deno.Signal | undefined;
    signals.force.then((signal) => (forced = signal));
    for (const [signal, at] of deliveries) {
      clock = at;
      fake.deliver(signal);
    }
    assert.equal(await signals.drain, deliveries[0][0]);
    await Promise.resolve();
    assert.equal(forced !== undefined, expected === "force", `forced: ${forced}`);
    assert.equal(seen.length, copies);
    // Listeners stay registered the whole time: a late signal is never fatal.
    assert.equal(fake.count(), 2);
    fake.deliver("SIGTERM");
    signals[Symbol.dispose]();
    assert.equal(fake.count(), 0);
  });
}

/** `deno task server` in `dir` as the leader of a new process group, its JSON log lines readable. */
function spawnTaskServer(dir: string) {
  return spawnMain({
    command: () => [Deno.execPath(), "task", "server"],
    flags: ["--port", "0", "--admin-port", "0", "--log-format", "json"],
    cwd: dir,
    detached: true, // setsid: the child leads a process group of its own
  });
}

const RUNS = 20;

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(
    `one ${signal} to the process group of deno task server drains a bidi call in flight, ${RUNS} times in a row`,
    async () => {
      const dir = await freshCopy("greeter-signals-");
      try {
        for (let run = 1; run <= RUNS; run++) {
          await using server = await spawnTaskServer(dir);
          const { port } = server;
          const ca = await Deno.readTextFile(`${dir}/certs/ca.pem`);
          const secret = await readSecretFile(`${dir}/.greeter/jwt-secret`);
          const metadata = bearer(await signMainToken(secret, "signals"));
          const { helloworld } = loadGreeterProto();
          const client = new helloworld.Greeter(
            `localhost:${port}`,
            grpc.credentials.createSsl(Buffer.from(ca)),
          );
          try {
            const call = client.SayHelloBidirectional(metadata, {
              deadline: Date.now() + 30_000,
            });
            const replies: string[] = [];
            let gotReply: (() => void) | undefined;
            call.on("data", (reply: { message: string }) => {
              replies.push(reply.message);
              gotReply?.();
            });
            call.on("error", () => {});
            const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
            const reply = () => new Promise<void>((resolve) => (gotReply = resolve));

            let next = reply();
            call.write({ name: "before" });
            await within(next, 10_000, `run ${run}: first reply`);

            server.signal(signal);
            await within(server.log.next(/received: draining/), 10_000, `run ${run}: drain log`);
            // Give a forwarded copy time to arrive before the call goes on.
            await new Promise((resolve) => setTimeout(resolve, 100));
            next = reply();
            call.write({ name: "after" });
            await within(next, 10_000, `run ${run}: reply during the drain`);
            call.end();
            const { code, details } = await within(status, 10_000, `run ${run}: call status`);
            assert.equal(grpc.status[code], "OK", `run ${run}: ${details}`);
            assert.deepEqual(replies, ["Hello, before!", "Hello, after!"]);

            const { code: exit } = await server.exited(20_000);
            await within(server.log.ended, 5000, `run ${run}: rest of the log`);
            const output = server.log.lines.join("\n");
            assert.equal(exit, 0, `run ${run}: exit ${exit}\n${output}`);
            const summary = server.log.logs.find((log) => /^shutdown/.test(String(log.message)));
            assert.ok(summary, `run ${run}: no shutdown line (silent death?)\n${output}`);
            assert.equal(summary.how, "graceful", `run ${run}:\n${output}`);
            assert.equal(summary.forcedCalls, 0);
            assert.ok(!/received again/.test(output), `run ${run}: forced\n${output}`);
          } finally {
            client.close();
          }
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}
