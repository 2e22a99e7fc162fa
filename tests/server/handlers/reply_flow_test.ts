/**
 * The reply account on its own, with fake HTTP/2 streams whose socket counts
 * are set by hand and a fake clock: writers wait past the per-connection and
 * the server-wide budget, go on when the socket writes, end when it has not
 * written for the stall time, and replies dropped by a reset leave the account.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type * as http2 from "node:http2";
import { createReplyFlow, type ReplyFlowOptions } from "../../../lib/server/handlers/reply_flow.ts";

/** A connection: the socket counter the account reads. */
function fakeConnection() {
  return { socket: { bytesWritten: 0, writableLength: 0, destroyed: false } };
}
type FakeConnection = ReturnType<typeof fakeConnection>;

/** A stream on `connection`, closable with an HTTP/2 code. */
function fakeStream(connection: FakeConnection) {
  const stream = Object.assign(new EventEmitter(), {
    session: connection,
    rstCode: 0,
    sentTrailers: undefined as object | undefined,
    close(code: number) {
      stream.rstCode = code;
      stream.emit("close");
    },
  });
  return stream;
}
const asStream = (s: ReturnType<typeof fakeStream>) => s as unknown as http2.ServerHttp2Stream;

function setup(options: ReplyFlowOptions = {}) {
  let clock = 0;
  const flow = createReplyFlow({
    connectionBytes: 1000,
    totalBytes: 2500,
    stallMs: 5000,
    pollMs: 1,
    now: () => clock,
    ...options,
  });
  return { flow, advance: (ms: number) => clock += ms };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 15));

/** Resolves to "pending" when `wait` has not settled after a few polls. */
async function settled(wait: Promise<boolean> | undefined): Promise<boolean | "pending"> {
  if (wait === undefined) return true;
  return await Promise.race([wait, tick().then(() => "pending" as const)]);
}

Deno.test("a writer goes on while its connection holds no more than the budget", () => {
  const { flow } = setup();
  const lane = flow.open(asStream(fakeStream(fakeConnection())));
  for (let i = 0; i < 10; i++) assert.equal(lane.wrote(100), undefined);
  assert.equal(flow.heldBytes(), 1000);
});

Deno.test("a writer past the budget waits until the socket has written enough", async () => {
  const { flow } = setup();
  const connection = fakeConnection();
  const lane = flow.open(asStream(fakeStream(connection)));
  for (let i = 0; i < 10; i++) lane.wrote(100);
  const wait = lane.wrote(100);
  assert.notEqual(wait, undefined);
  assert.equal(await settled(wait), "pending");
  // Bytes still queued in the socket are not written yet.
  connection.socket.bytesWritten = 600;
  connection.socket.writableLength = 550;
  assert.equal(await settled(wait), "pending");
  connection.socket.writableLength = 0;
  assert.equal(await settled(wait), true);
  assert.equal(flow.heldBytes(), 500);
});

Deno.test("a writer whose connection writes nothing for the stall time is told to end", async () => {
  const { flow, advance } = setup();
  const connection = fakeConnection();
  const lane = flow.open(asStream(fakeStream(connection)));
  for (let i = 0; i < 10; i++) lane.wrote(100);
  const wait = lane.wrote(100);
  advance(4000);
  assert.equal(await settled(wait), "pending");
  connection.socket.bytesWritten = 50; // progress, but not enough: the clock restarts
  await tick();
  advance(4000);
  assert.equal(await settled(wait), "pending");
  advance(1000);
  assert.equal(await settled(wait), false);
});

Deno.test("writers wait while all connections together hold more than the total", async () => {
  const { flow } = setup();
  const connections = [fakeConnection(), fakeConnection(), fakeConnection()];
  const lanes = connections.map((c) => flow.open(asStream(fakeStream(c))));
  for (const lane of lanes.slice(0, 2)) for (let i = 0; i < 9; i++) lane.wrote(100);
  for (let i = 0; i < 7; i++) assert.equal(lanes[2].wrote(100), undefined);
  // 2,500 held in total now: the next write on a connection under its own budget waits.
  const wait = lanes[2].wrote(100);
  assert.equal(await settled(wait), "pending");
  connections[0].socket.bytesWritten = 900;
  assert.equal(await settled(wait), true);
});

Deno.test("a writer waiting only for the total is not ended while its own connection holds nothing", async () => {
  const { flow, advance } = setup();
  const idle = fakeConnection();
  const busy = [fakeConnection(), fakeConnection(), fakeConnection()];
  for (const connection of busy) {
    const lane = flow.open(asStream(fakeStream(connection)));
    for (let i = 0; i < 9; i++) lane.wrote(100);
  }
  const lane = flow.open(asStream(fakeStream(idle)));
  const wait = lane.wrote(100);
  idle.socket.bytesWritten = 100; // its one reply left at once
  advance(6000);
  assert.equal(await settled(wait), "pending");
  busy[0].socket.bytesWritten = 900;
  assert.equal(await settled(wait), true);
});

Deno.test("replies dropped by a reset stream leave the account; a finished stream's stay until written", async () => {
  const { flow } = setup();
  const connection = fakeConnection();
  const reset = fakeStream(connection);
  const finished = fakeStream(connection);
  const resetLane = flow.open(asStream(reset));
  const finishedLane = flow.open(asStream(finished));
  for (let i = 0; i < 4; i++) finishedLane.wrote(100);
  for (let i = 0; i < 6; i++) resetLane.wrote(100);
  const wait = resetLane.wrote(100);
  finished.sentTrailers = {};
  finished.close(0);
  assert.equal(flow.heldBytes(), 1100);
  reset.close(11); // ENHANCE_YOUR_CALM
  assert.equal(await settled(wait), false);
  assert.equal(flow.heldBytes(), 400);
});

Deno.test("a call without a known HTTP/2 stream is not bounded", () => {
  const { flow } = setup();
  const lane = flow.open(undefined);
  for (let i = 0; i < 100; i++) assert.equal(lane.wrote(1000), undefined);
  assert.equal(flow.heldBytes(), 0);
});
