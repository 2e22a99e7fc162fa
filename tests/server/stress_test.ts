/**
 * Many short-lived channels: each opens a TLS connection, makes a burst of
 * calls and closes, several at a time. Afterwards the server still answers and
 * its call counter matches what was sent.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { bidiPingPong, clientStream, serverStream, unary } from "../_helpers/calls.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";

const CHANNELS = 200;
const UNARY_PER_CHANNEL = 20;
const CONCURRENT_CHANNELS = 8;
/** Every STREAMING_EVERY-th channel also makes one call of each streaming kind. */
const STREAMING_EVERY = 10;

Deno.test("server survives 200 channels opening, making 20+ calls each and closing, 8 at a time", async () => {
  await using server = await startTestServer();
  const metadata = bearer(await server.token());
  const failures: string[] = [];
  let calls = 0;
  const started = performance.now();

  async function runChannel(index: number): Promise<void> {
    using client = server.client();
    for (let i = 0; i < UNARY_PER_CHANNEL; i++) {
      const name = `c${index}-u${i}`;
      const result = await unary(client, { name }, { metadata });
      calls++;
      if (result.code !== grpc.status.OK || result.messages[0] !== `Hello, ${name}!`) {
        failures.push(`${name}: ${grpc.status[result.code]} ${result.details} ${result.messages}`);
      }
    }
    if (index % STREAMING_EVERY === 0) {
      const stream = await serverStream(client, { name: `c${index}`, count: 10 }, { metadata });
      const names = [`c${index}-a`, `c${index}-b`, `c${index}-c`];
      const collected = await clientStream(client, names.map((name) => ({ name })), { metadata });
      const bidi = await bidiPingPong(client, names.map((name) => ({ name })), { metadata });
      calls += 3;
      const outcomes = [
        [stream, stream.messages.length === 10],
        [collected, collected.messages[0] === `Hello, ${names.join(", ")}!`],
        [bidi, bidi.messages.length === 3 && bidi.messages[2] === `Hello, ${names[2]}!`],
      ] as const;
      for (const [result, contentOk] of outcomes) {
        if (result.code !== grpc.status.OK || !contentOk) {
          failures.push(`c${index} stream: ${grpc.status[result.code]} ${result.details}`);
        }
      }
    }
  }

  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENT_CHANNELS }, async () => {
      while (next < CHANNELS) await runChannel(next++);
    }),
  );
  const elapsedMs = performance.now() - started;

  const expectedCalls = CHANNELS * UNARY_PER_CHANNEL + (CHANNELS / STREAMING_EVERY) * 3;
  assert.equal(calls, expectedCalls);
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} calls failed`);

  using client = server.client();
  const after = await unary(client, { name: "still here" }, { metadata });
  assert.deepEqual([grpc.status[after.code], after.messages], ["OK", ["Hello, still here!"]]);
  assert.equal(server.server.stats.total, expectedCalls + 1);
  assert.equal(server.server.stats.active, 0);

  console.log(
    `stress: ${CHANNELS} channels, ${expectedCalls} calls in ${(elapsedMs / 1000).toFixed(1)} s ` +
      `(${Math.round(expectedCalls / (elapsedMs / 1000))} calls/s)`,
  );
  assert.ok(elapsedMs < 60_000, `took ${Math.round(elapsedMs)} ms`);
});
