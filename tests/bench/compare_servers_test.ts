import assert from "node:assert/strict";
import { compareServers } from "../../lib/bench/compare_servers.ts";

Deno.test("a short comparison of two variants measures both in every round and gives median ratios", async () => {
  const lines: string[] = [];
  const comparison = await compareServers({
    variants: [
      { name: "bare", spec: { variant: "bare" } },
      { name: "full", spec: { variant: "full", logLevel: "error" } },
    ],
    rounds: 2,
    durationMs: 300,
    warmupMs: 100,
    settleMs: 200,
    concurrency: 2,
    channels: 1,
    print: (line) => lines.push(line),
  });
  assert.deepEqual(Object.keys(comparison.rounds), ["bare", "full"]);
  assert.equal(lines.length, 6, lines.join("\n"));
  assert.match(
    lines[0],
    /^# bare vs full \(unary, concurrency 2, channels 1, 0\.3 s per run, 2 rounds, each server loaded 0\.2 s first\)$/,
  );
  assert.match(
    lines[1],
    /^round 1: bare \d+\/s \d+ msgs\/s \d+ µs\/call \(busy: server \d+ %, client \d+ %\) \| full \d+\/s \d+ msgs\/s \d+ µs\/call \(busy: server \d+ %, client \d+ %\) \(x[\d.]+ calls\/s/,
  );
  assert.match(
    lines[3],
    /^median full\/bare: calls\/s x[\d.]+, msgs\/s x[\d.]+, server CPU per call x[\d.]+/,
  );
  assert.match(
    lines[4],
    /^median busy bare: server \d+ %, client \d+ % of a core; client \d+ µs\/call$/,
  );
  assert.match(
    lines[5],
    /^median busy full: server \d+ %, client \d+ % of a core; client \d+ µs\/call$/,
  );
  assert.doesNotMatch(lines.join("\n"), /FAILED/);
  for (const [name, rounds] of Object.entries(comparison.rounds)) {
    assert.equal(rounds.length, 2, name);
    for (const figures of rounds) {
      assert.equal(figures.failures, 0, `${name} had failed calls`);
      assert.ok(figures.callsPerSecond > 0, `${name} answered no call`);
      assert.ok(figures.serverCpuUsPerCall > 0, `${name} used no CPU`);
      assert.ok(figures.clientCpuUsPerCall > 0, `${name}: the load generator used no CPU`);
      // A share of the wall time: more than 0, and at most every core of this machine.
      for (const share of [figures.serverCpuShare, figures.clientCpuShare]) {
        assert.ok(share > 0 && share <= navigator.hardwareConcurrency, `${name}: share ${share}`);
      }
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
    settleMs: 0,
    warmupMs: 0,
    concurrency: 2,
    channels: 1,
    pattern: "bidi",
    messages: 3,
    print: () => {},
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
    settleMs: 0,
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
