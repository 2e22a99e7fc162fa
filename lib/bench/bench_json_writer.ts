/**
 * Writes bench results as a `greeter-bench/1` JSON document: figures rounded,
 * units fixed, every key present.
 *
 * @module
 */
import type { LatencySummary } from "./histogram.ts";
import type { LoadResult } from "./load_runner.ts";
import {
  BENCH_SCHEMA,
  type BenchJson,
  type BenchJsonLatency,
  type BenchJsonPattern,
  type BenchMeta,
} from "./bench_schema.ts";

/**
 * Builds the JSON document for a set of results.
 *
 * @param results one {@linkcode LoadResult} per pattern name, in run order
 * @param meta what was run
 * @returns the document, ready for `JSON.stringify`
 */
export function toBenchJson(results: Record<string, LoadResult>, meta: BenchMeta): BenchJson {
  const patterns: Record<string, BenchJsonPattern> = {};
  for (const [name, result] of Object.entries(results)) patterns[name] = patternJson(result);
  return {
    schema: BENCH_SCHEMA,
    meta: {
      target: meta.target,
      concurrency: meta.concurrency,
      channels: meta.channels ?? null,
      durationMs: meta.durationMs ?? null,
      totalCalls: meta.totalCalls ?? null,
      ratePerSecond: meta.ratePerSecond ?? null,
      warmupCalls: meta.warmupCalls ?? null,
      warmupMs: meta.warmupMs ?? null,
      date: meta.date ?? new Date().toISOString(),
      denoVersion: meta.denoVersion ?? Deno.version.deno,
      gitCommit: meta.gitCommit ?? null,
    },
    patterns,
  };
}

/**
 * The JSON document for a set of results as text (two-space indent, final
 * newline), for `--json` output or a results file.
 *
 * @param results one {@linkcode LoadResult} per pattern name, in run order
 * @param meta what was run
 * @returns the document's text; {@linkcode parseBenchJson} reads it back
 */
export function toJson(results: Record<string, LoadResult>, meta: BenchMeta): string {
  return `${JSON.stringify(toBenchJson(results, meta), null, 2)}\n`;
}

function patternJson(result: LoadResult): BenchJsonPattern {
  return {
    calls: result.calls,
    messages: result.messages,
    elapsedMs: round(result.elapsedMs, 3),
    callsPerSecond: round(result.callsPerSecond, 2),
    messagesPerSecond: round(result.messagesPerSecond, 2),
    requests: result.messagesSent,
    requestsPerSecond: round(result.messagesSentPerSecond, 2),
    latencyMs: result.calls > 0 ? latencyJson(result.latencySummary) : null,
    serviceTimeMs: result.calls > 0 ? latencyJson(result.serviceTimeSummary) : null,
    firstMessageMs: result.firstMessageSummary ? latencyJson(result.firstMessageSummary) : null,
    statuses: { ...result.statuses },
    errors: result.errors.map((e) => ({ status: e.status, message: e.message, count: e.count })),
    errorsOmitted: result.errorsOmitted,
    warmupCalls: result.warmupCalls,
    concurrency: result.concurrency,
    maxInFlight: result.maxInFlight,
    targetRatePerSecond: result.targetRatePerSecond ?? null,
    scheduleLagMs: result.scheduleLagMs
      ? { max: round(result.scheduleLagMs.max, 3), mean: round(result.scheduleLagMs.mean, 3) }
      : null,
    aborted: result.aborted,
    notStarted: result.notStarted,
    latencyBuckets: result.latency.buckets().map((b) => [
      round(b.fromMs, 6),
      b.toMs === Infinity ? null : round(b.toMs, 6),
      b.count,
    ]),
  };
}

function latencyJson(s: LatencySummary): BenchJsonLatency {
  return {
    min: round(s.min, 3),
    mean: round(s.mean, 3),
    p50: round(s.p50, 3),
    p90: round(s.p90, 3),
    p99: round(s.p99, 3),
    p999: round(s.p999, 3),
    max: round(s.max, 3),
  };
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
