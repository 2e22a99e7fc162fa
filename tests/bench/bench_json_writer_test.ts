import assert from "node:assert/strict";
import { toBenchJson, toJson } from "../../lib/bench/bench_json_writer.ts";
import { parseBenchJson } from "../../lib/bench/bench_json_parser.ts";
import { formatBenchJson } from "../../lib/bench/bench_text_report.ts";
import { META, resultOf, sampleResults } from "../fixtures/bench_results.ts";

Deno.test("bench JSON has fixed units, rounded figures and every key present", () => {
  const doc = toBenchJson(sampleResults(), { target: "h:1", concurrency: 1, date: META.date });
  assert.deepEqual(doc.meta, {
    target: "h:1",
    concurrency: 1,
    channels: null,
    durationMs: null,
    totalCalls: null,
    ratePerSecond: null,
    warmupCalls: null,
    warmupMs: null,
    date: META.date,
    denoVersion: Deno.version.deno,
    gitCommit: null,
  });
  const unary = doc.patterns.unary;
  assert.equal(unary.callsPerSecond, 1000);
  assert.equal(unary.latencyMs?.min, 0.5);
  assert.equal(unary.latencyMs?.max, 20);
  assert.equal(unary.firstMessageMs, null, "a unary pattern has no time to first message");
  assert.equal(unary.targetRatePerSecond, null);
  assert.equal(unary.scheduleLagMs, null);
  assert.deepEqual(unary.statuses, { OK: 990, UNAVAILABLE: 10 });
  assert.equal(unary.latencyBuckets.reduce((sum, [, , n]) => sum + n, 0), 1000);
  assert.equal(doc.patterns["server-stream"].firstMessageMs?.max, 4);
  assert.equal(doc.patterns["server-stream"].messagesPerSecond, 2000);
});

Deno.test("bench JSON of a pattern with no completed call uses null figures", () => {
  const empty = resultOf({ callsPerSecond: 1, latencies: [] });
  const text = toJson({ unary: { ...empty, callsPerSecond: 0, messagesPerSecond: 0 } }, META);
  assert.ok(!text.includes("NaN"));
  const doc = parseBenchJson(text);
  assert.equal(doc.patterns.unary.latencyMs, null);
  assert.match(formatBenchJson(doc), /latency ms {4}-/);
});
