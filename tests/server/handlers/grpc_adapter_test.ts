/**
 * The adapter's write path follows HTTP/2 flow control: a long server stream
 * (100,000 replies, far past the contract's `count` cap, so through a
 * service of the test's own) stops being produced while the client does not
 * read, keeps the process's memory flat meanwhile, and then runs to the end
 * at full speed once the client reads again. Real server, TLS, auth, port 0.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { createGreeterService, type GreeterService } from "../../../lib/server/handlers/greeter.ts";
import { bearer } from "../../_helpers/tokens.ts";
import { startTestServer } from "../../_helpers/test_server.ts";

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
  // Fails on Deno 2.9.3 today: its node:http2 stream reports every write drained
  // whatever the peer's flow-control window, so the adapter's wait for `drain`
  // never holds and the server queues the whole stream (48 MB in the HTTP/2
  // stream's bufferSize). On until the adapter bounds that (BENCHMARKS.md).
  ignore: true,
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
