/**
 * Graceful shutdown: in-flight calls finish, new calls are refused, a drain
 * that takes too long is forced, and shutting down twice is harmless.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { bidiPingPong, firstReply, serverStream, statusOf, unary } from "../_helpers/calls.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";

Deno.test("shutdown lets an in-flight server stream finish all its replies", async () => {
  await using server = await startTestServer({ streamIntervalMs: 50 });
  using client = server.client();
  const metadata = bearer(await server.token());
  const messages: string[] = [];
  const call = client.SayHelloStream({ name: "Ada", count: 20 }, metadata, {
    deadline: Date.now() + 10_000,
  });
  call.on("data", (reply: { message: string }) => messages.push(reply.message));
  const status = statusOf(call);
  assert.equal(await firstReply(call), "Hello, Ada! (1/20)");

  const summary = await server.server.shutdown();
  const { code, details } = await status;
  assert.equal(grpc.status[code], "OK", details);
  assert.deepEqual(messages, Array.from({ length: 20 }, (_, i) => `Hello, Ada! (${i + 1}/20)`));
  assert.equal(summary.graceful, true);
  assert.equal(summary.forcedCalls, 0);
  assert.ok(summary.inFlightAtStart >= 1, `inFlightAtStart ${summary.inFlightAtStart}`);
  assert.equal(summary.totalCalls, 1);
  // 19 pauses of 50 ms remained at most; the drain waited for (most of) them.
  assert.ok(summary.durationMs >= 500, `drain took only ${summary.durationMs} ms`);
});

Deno.test("calls after shutdown fail with UNAVAILABLE", async (t) => {
  await using server = await startTestServer();
  const metadata = bearer(await server.token());
  using before = server.client();
  const warmUp = await unary(before, { name: "before" }, { metadata });
  assert.deepEqual([grpc.status[warmUp.code], warmUp.messages], ["OK", ["Hello, before!"]]);
  const summary = await server.server.shutdown();
  assert.deepEqual(
    { graceful: summary.graceful, inFlightAtStart: summary.inFlightAtStart, totalCalls: 1 },
    { graceful: true, inFlightAtStart: 0, totalCalls: summary.totalCalls },
  );

  await t.step("a new channel's call fails with UNAVAILABLE", async () => {
    using client = server.client();
    const result = await unary(client, { name: "late" }, { metadata, deadlineMs: 5000 });
    assert.equal(grpc.status[result.code], "UNAVAILABLE", result.details);
    assert.deepEqual(result.messages, []);
  });
  await t.step("a call on a channel opened before shutdown fails with UNAVAILABLE", async () => {
    const result = await unary(before, { name: "late" }, { metadata, deadlineMs: 5000 });
    assert.equal(grpc.status[result.code], "UNAVAILABLE", result.details);
    assert.deepEqual(result.messages, []);
  });
});

Deno.test("shutdown forces the close when a bidi stream outlasts the drain timeout", async () => {
  await using server = await startTestServer({ drainTimeoutMs: 300 });
  using client = server.client();
  const metadata = bearer(await server.token());
  const open = bidiPingPong(client, [{ name: "stay" }], { metadata, keepOpen: true });
  // Wait until the stream is answered (so it is surely in flight), then shut down.
  while (server.server.stats.active === 0 || server.server.stats.total === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const summary = await server.server.shutdown();
  const result = await open;
  assert.deepEqual(result.messages, ["Hello, stay!"]);
  assert.notEqual(grpc.status[result.code], "OK", "the forced stream ended OK");
  assert.ok(
    ["UNAVAILABLE", "CANCELLED", "INTERNAL"].includes(grpc.status[result.code]),
    `${grpc.status[result.code]}: ${result.details}`,
  );
  assert.equal(summary.graceful, false);
  assert.equal(summary.inFlightAtStart, 1);
  assert.ok(summary.forcedCalls >= 1, `forcedCalls ${summary.forcedCalls}`);
  assert.ok(
    summary.durationMs >= 280 && summary.durationMs < 3000,
    `forced after ${summary.durationMs} ms`,
  );
});

Deno.test("shutdown is idempotent: every call resolves to the same summary", async () => {
  await using server = await startTestServer();
  using client = server.client();
  const result = await serverStream(client, { name: "once" }, {
    metadata: bearer(await server.token()),
  });
  assert.equal(grpc.status[result.code], "OK", result.details);
  const first = server.server.shutdown();
  const second = server.server.shutdown();
  assert.equal(first, second, "a second shutdown started another one");
  const summary = await first;
  assert.equal(summary.graceful, true);
  assert.equal(summary.totalCalls, 1);
  assert.equal(await server.server.shutdown(), summary);
  await server.server[Symbol.asyncDispose](); // and disposing afterwards is harmless too
});
