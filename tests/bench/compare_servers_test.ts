import assert from "node:assert/strict";
import { compareServers, median } from "../../lib/bench/compare_servers.ts";

Deno.test("a short comparison of two variants measures both in every round and gives median ratios", async () => {
  const comparison = await compareServers({
    variants: [
      { name: "bare", spec: { variant: "bare" } },
      { name: "full", spec: { variant: "full", logLevel: "error" } },
    ],
    rounds: 2,
    durationMs: 300,
    warmupMs: 100,
    concurrency: 2,
    channels: 1,
  });
  assert.deepEqual(Object.keys(comparison.rounds), ["bare", "full"]);
  for (const [name, rounds] of Object.entries(comparison.rounds)) {
    assert.equal(rounds.length, 2, name);
    for (const figures of rounds) {
      assert.equal(figures.failures, 0, `${name} had failed calls`);
      assert.ok(figures.callsPerSecond > 0, `${name} answered no call`);
      assert.ok(figures.serverCpuUsPerCall > 0, `${name} used no CPU`);
    }
  }
  assert.deepEqual(
    Object.keys(comparison.medianThroughputRatio),
    ["full"],
    "no ratio for the baseline",
  );
  assert.ok(comparison.medianThroughputRatio.full > 0);
  assert.ok(Number.isFinite(comparison.medianCpuRatio.full) && comparison.medianCpuRatio.full > 0);
});

Deno.test("a comparison drives a streaming kind against an auth-only variant, whose bench token passes", async () => {
  const comparison = await compareServers({
    variants: [
      { name: "bare", spec: { variant: "bare" } },
      { name: "auth-only", spec: { variant: "auth-only" } },
    ],
    rounds: 1,
    durationMs: 200,
    warmupMs: 0,
    concurrency: 2,
    channels: 1,
    pattern: "bidi",
    messages: 3,
  });
  assert.equal(comparison.rounds.bare[0].failures, 0);
  assert.ok(comparison.rounds.bare[0].callsPerSecond > 0);
  assert.equal(comparison.rounds["auth-only"][0].failures, 0, "bench clients carry a bench token");
  for (const [name, [figures]] of Object.entries(comparison.rounds)) {
    // Each bidi call sends 3 requests and gets 3 replies.
    assert.ok(
      Math.abs(figures.messagesPerSecond / figures.callsPerSecond - 6) < 0.01,
      `${name}: ${figures.messagesPerSecond} messages/s at ${figures.callsPerSecond} calls/s`,
    );
  }
});

Deno.test("a comparison counts the requests of client streaming as the messages it moves", async () => {
  const comparison = await compareServers({
    variants: [
      { name: "node-bare", spec: { variant: "node-bare" } },
      { name: "bare", spec: { variant: "bare" } },
    ],
    rounds: 1,
    durationMs: 200,
    warmupMs: 0,
    concurrency: 2,
    channels: 1,
    pattern: "client-stream",
    messages: 5,
  });
  for (const [name, [figures]] of Object.entries(comparison.rounds)) {
    assert.equal(figures.failures, 0, name);
    // 5 requests and 1 reply per call.
    assert.ok(
      Math.abs(figures.messagesPerSecond / figures.callsPerSecond - 6) < 0.01,
      `${name}: ${figures.messagesPerSecond} messages/s at ${figures.callsPerSecond} calls/s`,
    );
  }
  assert.ok(comparison.medianMessagesRatio.bare > 0);
});

Deno.test("median takes the middle value, or the mean of the middle two", async (t) => {
  const cases: { name: string; values: number[]; expected: number }[] = [
    { name: "an odd count gives the middle value", values: [3, 1, 2], expected: 2 },
    { name: "an even count gives the mean of the middle two", values: [4, 1, 3, 2], expected: 2.5 },
    { name: "one value is its own median", values: [7], expected: 7 },
  ];
  for (const c of cases) await t.step(c.name, () => assert.equal(median(c.values), c.expected));
  await t.step("no values give NaN", () => assert.ok(Number.isNaN(median([]))));
});
