/** The workers bench's round line and closing lines, from fixed figures. */
import assert from "node:assert/strict";
import { roundLine, type WorkerFigures, workersSummary } from "../../lib/bench/compare_workers.ts";

const ONE: WorkerFigures = {
  workers: 1,
  callsPerSecond: [1000, 1100, 900],
  cpuUs: [200, 210, 190],
  served: [3000],
};
const TWO: WorkerFigures = {
  workers: 2,
  callsPerSecond: [900, 1210, 855],
  cpuUs: [240, 231, 209],
  served: [1000, 3000],
};

Deno.test("round line gives each server's calls/s and CPU per call", () => {
  assert.equal(
    roundLine([ONE, TWO], 1),
    "round 2: 1 worker(s) 1100/s 210 µs/call | 2 worker(s) 1210/s 231 µs/call",
  );
});

Deno.test("workers summary gives the medians of the per-round ratios and each worker's share", () => {
  assert.deepEqual(workersSummary([ONE, TWO]), [
    // calls/s ratios 0.9, 1.1, 0.95; CPU ratios 1.2, 1.1, 1.1.
    "median 2 workers / 1: calls/s x0.950, server CPU per call x1.100 (medians 231 vs 200 µs/call)",
    "calls served per worker with 2 workers: 1000 (25.0 %), 3000 (75.0 %)",
  ]);
});
