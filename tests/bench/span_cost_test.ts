/**
 * The span-cost bench on a small scale: every mode runs in its own child under
 * Deno's OpenTelemetry, exported spans reach the sink, and the figures are
 * CPU per call.
 */
import assert from "node:assert/strict";
import { measureSpanCost, SPAN_MODES } from "../../lib/bench/span_cost.ts";

Deno.test("span cost bench runs each mode once a round, and the ended spans reach the sink", async () => {
  const lines: string[] = [];
  const result = await measureSpanCost({
    rounds: 1,
    iterations: 200,
    gapUs: 10,
    print: (line) => lines.push(line),
  });
  for (const mode of SPAN_MODES) {
    assert.ok(result.cpuUsPerCall[mode] > 0, `${mode}: ${result.cpuUsPerCall[mode]}`);
  }
  assert.ok(result.exports >= 1, "the exported spans reached the sink");
  assert.match(lines[1], /^round 1: none [\d.]+ µs\/call \| started [\d.]+ µs\/call \| exported /);
  assert.match(lines[2], /^median CPU per call: none [\d.]+ µs; a span never ended/);
});
