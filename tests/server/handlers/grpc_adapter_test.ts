/**
 * The adapter's write path follows HTTP/2 flow control: a long server stream
 * (100,000 replies, far past the contract's `count` cap, so through a
 * service of the test's own) stops being produced while the client does not
 * read, keeps the process's memory flat meanwhile, and then runs to the end
 * at full speed once the client reads again; a client that never reads gets
 * its call ended (`RESOURCE_EXHAUSTED`) after the stall time, having been sent
 * no more than the budget allows. Real server, TLS, auth, port 0.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { createGreeterService, type GreeterService } from "../../../lib/server/handlers/greeter.ts";
import { recordLogs, renderMessage } from "../../_helpers/record_logs.ts";
import { bearer } from "../../_helpers/tokens.ts";
import { startTestServer } from "../../_helpers/test_server.ts";
import { waitFor } from "../../_helpers/wait_for.ts";

const REPLIES = 100_000;
/** 1 KiB a reply: 100,000 of them buffered would be over 100 MB. */
const PAYLOAD = "x".repeat(1024);

/** The Greeter, except that SayHelloStream yields REPLIES replies and counts them. */
function longStreamService() {
  const produced = { count: 0 };
  const service: GreeterService = {
    ...createGreeterService(),
    async *sayHelloStream() {
      for (let i = 1; i <= REPLIES; i++) {
        produced.count = i;
        yield { message: `${i} ${PAYLOAD}` };
      }
    },
  };
  return { service, produced };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name:
    "a 100,000-reply server stream waits for a paused reader with memory flat, then finishes at full speed",
  fn: longStreamWaitsForSlowReader,
});

async function longStreamWaitsForSlowReader() {
  const { service, produced } = longStreamService();
  await using server = await startTestServer({ service });
  using client = server.client();
  const call = client.SayHelloStream({ name: "long" }, bearer(await server.token()));
  let received = 0;
  let inOrder = true;
  call.on("data", (reply: { message: string }) => {
    received++;
    if (!reply.message.startsWith(`${received} `)) inOrder = false;
  });
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
  call.on("error", () => {});

  // Read the first replies, then stop reading: the server must stop too.
  while (received < 1000) await sleep(5);
  call.pause();
  await sleep(300); // let the windows and buffers fill
  const aheadAtPause = produced.count - received;
  const rssAtPause = Deno.memoryUsage().rss;
  await sleep(1000);
  const aheadLater = produced.count - received;
  const rssGrowth = Deno.memoryUsage().rss - rssAtPause;
  assert.ok(
    produced.count < REPLIES / 2,
    `the server produced ${produced.count} replies for a reader that took ${received}`,
  );
  assert.ok(
    aheadLater - aheadAtPause < 100,
    `production went on while the reader was paused: ${aheadAtPause} -> ${aheadLater} ahead`,
  );
  assert.ok(rssGrowth < 16 * 2 ** 20, `memory grew ${rssGrowth} bytes while the reader was paused`);

  // Read again, as fast as the client can.
  const resumed = performance.now();
  const readBefore = received;
  call.resume();
  const status = await ended;
  const seconds = (performance.now() - resumed) / 1000;
  assert.equal(status.code, grpc.status.OK, status.details);
  assert.equal(received, REPLIES);
  assert.ok(inOrder, "replies arrived in order");
  const rate = (REPLIES - readBefore) / seconds;
  // Full speed on a loaded shared machine: a buffered-then-drip stream or a
  // stall on the window would be far slower than this loose floor.
  assert.ok(rate > 5_000, `${Math.round(rate)} replies/s after resuming`);
}

/** The stall time in the never-read cases: short, so the test is quick. */
const STALL_MS = 400;
/** The per-connection budget in the never-read cases. */
const BUDGET = 64 * 1024;

const NEVER_READ_CASES: {
  name: string;
  method: "SayHelloStream" | "SayHelloBidirectional";
  /** Reply bytes the server would queue for this client without a bound. */
  unbounded: number;
}[] = [
  {
    name:
      "a server stream whose client never reads ends RESOURCE_EXHAUSTED with its replies bounded",
    method: "SayHelloStream",
    unbounded: REPLIES * PAYLOAD.length,
  },
  {
    name:
      "a bidi stream whose client sends and never reads ends RESOURCE_EXHAUSTED with its replies bounded",
    method: "SayHelloBidirectional",
    unbounded: 3000 * 256,
  },
];

for (const c of NEVER_READ_CASES) {
  Deno.test(c.name, () => neverReads(c.method, c.unbounded, false));
  // The workers' path: connections accepted on a shared port and injected into grpc-js.
  Deno.test(`${c.name}, on a shared port`, () => neverReads(c.method, c.unbounded, true));
}

async function neverReads(
  method: "SayHelloStream" | "SayHelloBidirectional",
  unbounded: number,
  reusePort: boolean,
) {
  await using logs = await recordLogs();
  const { service } = longStreamService();
  await using server = await startTestServer({
    service,
    replyFlow: { connectionBytes: BUDGET, stallMs: STALL_MS },
    reusePort,
  });
  using client = server.client();
  const metadata = bearer(await server.token());
  const started = performance.now();
  const call = method === "SayHelloStream"
    ? client.SayHelloStream({ name: "never" }, metadata)
    : client.SayHelloBidirectional(metadata);
  // Paused from the start: grpc-js reads nothing from the HTTP/2 stream, so the
  // client's windows fill and stay full (without it grpc-js would read and queue
  // every reply on the client side, listener or not).
  call.on("data", () => {});
  call.pause();
  if (method === "SayHelloBidirectional") {
    const bidi = call as grpc.ClientDuplexStream<unknown, unknown>;
    for (let i = 0; i < 3000; i++) bidi.write({ name: `${i} ${"y".repeat(240)}` });
  }
  call.on("error", () => {});
  const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no status within 10 s")), 10_000);
    call.on("status", (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve(s);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED, status.details);
  assert.ok(seconds >= STALL_MS / 1000, `ended after ${seconds} s`);

  // The server's line says what the client got, and how many replies it wrote.
  const path = `/helloworld.Greeter/${method}`;
  await waitFor(
    () => logs.records.some((r) => r.properties.method === path),
    "the call's log line",
  );
  const line = logs.records.find((r) => r.properties.method === path)!;
  assert.equal(line.properties.status, "RESOURCE_EXHAUSTED", renderMessage(line));
  assert.match(renderMessage(line), /replies not read by the client/);
  // Written: what the client's windows took (64 KiB each for stream and
  // connection) plus the budget, plus a few replies in flight (about 3.5 x the
  // budget measured); far below the unbounded case.
  const replyBytes = method === "SayHelloStream" ? PAYLOAD.length + 8 : 256 + 8;
  const written = Number(line.properties.messagesOut) * replyBytes;
  assert.ok(written < 5 * BUDGET, `${written} reply bytes written (unbounded: ${unbounded})`);
}
