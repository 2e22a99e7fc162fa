/**
 * Graceful shutdown: in-flight calls finish, new calls are refused, a drain
 * that takes too long is forced, and shutting down twice is harmless.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { healthServiceDefinition } from "../../lib/client/health_client.ts";
import { bidiPingPong, firstReply, serverStream, statusOf, unary } from "../_helpers/calls.ts";
import { healthCheck } from "../_helpers/health_check.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";
import { waitFor } from "../_helpers/wait_for.ts";

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

/** An open `Health/Watch` stream on its own channel, recording every status it is sent. */
function openWatch(port: number, caCert: string) {
  const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), "Health");
  const client = new Health(`localhost:${port}`, grpc.credentials.createSsl(Buffer.from(caCert)));
  const seen: string[] = [];
  const call = client.makeServerStreamRequest(
    "/grpc.health.v1.Health/Watch",
    (request: { service: string }) => healthServiceDefinition().Watch.requestSerialize(request),
    (bytes: Buffer) => healthServiceDefinition().Watch.responseDeserialize(bytes),
    { service: "" },
    new grpc.Metadata(),
    { deadline: Date.now() + 20_000 },
  );
  call.on("data", (reply: { status: string }) => seen.push(reply.status));
  call.on("error", () => {});
  const status = statusOf(call);
  return { seen, status, [Symbol.dispose]: () => client.close() };
}

Deno.test(
  "shutdown reports NOT_SERVING, keeps serving for the delay, ends health Watch streams and drains gracefully",
  async () => {
    const delayMs = 600;
    await using server = await startTestServer({
      shutdownDelayMs: delayMs,
      streamIntervalMs: 100,
      drainTimeoutMs: 5000,
    });
    const metadata = bearer(await server.token());
    using watch = openWatch(server.port, server.pki.caCert);
    await waitFor(() => watch.seen.length === 1, "the first Watch status");
    assert.deepEqual(watch.seen, ["SERVING"]);

    // A long stream: 12 replies 100 ms apart outlast the delay.
    using streaming = server.client();
    const long = serverStream(streaming, { name: "long", count: 12 }, { metadata });
    // A client calling in a loop on one channel, as a service behind a balancer does.
    using looping = server.client();
    const outcomes: { at: number; status: string }[] = [];
    let keepLooping = true;
    const loop = (async () => {
      while (keepLooping) {
        const { code } = await unary(looping, { name: "loop" }, { metadata, deadlineMs: 2000 });
        outcomes.push({ at: performance.now(), status: grpc.status[code] });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await waitFor(() => outcomes.length >= 3, "three loop calls");

    const started = performance.now();
    const stopping = server.server.shutdown();
    assert.equal(server.server.serving, false);
    assert.equal(server.server.phase, "delaying");
    await waitFor(() => watch.seen.length === 2, "NOT_SERVING on Watch", 2000);
    assert.deepEqual(watch.seen, ["SERVING", "NOT_SERVING"]);
    const check = await healthCheck(server.port, server.pki.caCert, "");
    assert.deepEqual([grpc.status[check.code], check.status], ["OK", "NOT_SERVING"]);

    const summary = await stopping;
    await waitFor(() => outcomes.at(-1)!.status !== "OK", "the loop to fail over");
    keepLooping = false;
    await loop;

    const duringDelay = outcomes.filter((o) => o.at > started && o.at < started + delayMs - 100);
    assert.ok(duringDelay.length >= 3, `only ${duringDelay.length} calls during the delay`);
    assert.ok(duringDelay.every((o) => o.status === "OK"), JSON.stringify(duringDelay));
    assert.equal(outcomes.at(-1)!.status, "UNAVAILABLE", JSON.stringify(outcomes.slice(-3)));
    const ended = await watch.status;
    assert.equal(grpc.status[ended.code], "UNAVAILABLE", ended.details);
    const stream = await long;
    assert.equal(grpc.status[stream.code], "OK", stream.details);
    assert.equal(stream.messages.length, 12);
    assert.equal(summary.graceful, true, JSON.stringify(summary));
    assert.equal(summary.forcedCalls, 0);
    assert.ok(summary.durationMs >= delayMs, `shutdown took only ${summary.durationMs} ms`);
    assert.equal(server.server.phase, "stopped");
  },
);

Deno.test("a forced shutdown skips the rest of the shutdown delay", async () => {
  await using server = await startTestServer({ shutdownDelayMs: 60_000 });
  const stopping = server.server.shutdown();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const summary = await server.server.forceShutdown();
  assert.equal(await stopping, summary);
  assert.ok(summary.durationMs < 5000, `took ${summary.durationMs} ms`);
});
