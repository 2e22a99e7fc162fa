/**
 * CI's guard on the per-call cost: the full stack (TLS, JWT with the token
 * cache, call logging at info, metrics) must cost less than
 * {@linkcode OVERHEAD_MAX_CPU_RATIO} times the bare server's CPU per call, measured
 * side by side (median of rounds). The bound is loose on purpose (the target
 * is 1.15; see BENCHMARKS.md) so a noisy shared machine does not trip it.
 */
import assert from "node:assert/strict";
import { compareServers } from "../../lib/bench/compare_servers.ts";
import { OVERHEAD_MAX_CPU_RATIO } from "../../lib/bench/server_comparisons.ts";

Deno.test("the full stack costs less than twice the bare server's CPU per call", async () => {
  const comparison = await compareServers({
    variants: [
      { name: "bare", spec: { variant: "bare" } },
      { name: "full", spec: { variant: "full", logLevel: "info" } },
    ],
    rounds: 5,
    durationMs: 800,
    // Each turn's warm-up is excluded from calls/s, but its CPU counts: long
    // enough that the JIT has settled after the first round.
    warmupMs: 400,
    settleMs: 1000,
    concurrency: 16,
    channels: 2,
  });
  for (const [name, rounds] of Object.entries(comparison.rounds)) {
    for (const figures of rounds) assert.equal(figures.failures, 0, `${name} had failed calls`);
  }
  const ratio = comparison.medianCpuRatio.full;
  assert.ok(
    ratio < OVERHEAD_MAX_CPU_RATIO,
    `full / bare server CPU per call is x${
      ratio.toFixed(3)
    }, over the x${OVERHEAD_MAX_CPU_RATIO} bound`,
  );
});
