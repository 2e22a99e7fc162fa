/**
 * The bench's text report: a header with the run's settings, then one block
 * per pattern with throughput, latency percentiles, time to first message,
 * statuses, errors and an ASCII latency histogram.
 *
 * @module
 */
import type { LoadResult } from "./load_runner.ts";
import type { BenchJson, BenchJsonLatency, BenchMeta } from "./bench_schema.ts";
import { toBenchJson } from "./bench_json_writer.ts";
import {
  fmtMs,
  fmtRate,
  fmtSeconds,
  messagesMoved,
  provenanceOf,
  settingsOf,
} from "./_bench_format.ts";

/**
 * A readable text report of a set of results: a header with the run's
 * settings, then one block per pattern with throughput, latency percentiles,
 * time to first message (streams), status distribution, errors and a compact
 * ASCII latency histogram.
 *
 * @param results one {@linkcode LoadResult} per pattern name, in run order
 * @param meta what was run
 * @returns the report, ending in a newline
 */
export function formatReport(results: Record<string, LoadResult>, meta: BenchMeta): string {
  return formatBenchJson(toBenchJson(results, meta));
}

/**
 * The text report of {@linkcode formatReport}, from a JSON document (for
 * example one read back with {@linkcode parseBenchJson}).
 *
 * @param doc a bench JSON document
 * @returns the report, ending in a newline
 */
export function formatBenchJson(doc: BenchJson): string {
  const lines = [`Greeter bench: target ${doc.meta.target}`];
  lines.push(`  ${settingsOf(doc.meta)}`);
  lines.push(`  ${provenanceOf(doc.meta)}`);
  for (const [name, p] of Object.entries(doc.patterns)) {
    lines.push("", name);
    const warm = p.warmupCalls > 0 ? ` (${p.warmupCalls} warm-up calls excluded)` : "";
    lines.push(row("calls", `${p.calls} in ${fmtSeconds(p.elapsedMs)}${warm}`));
    lines.push(
      row(
        "throughput",
        `${fmtRate(p.callsPerSecond)} calls/s · ${fmtRate(messagesMoved(p))} msgs/s` +
          (p.requestsPerSecond === undefined
            ? ""
            : ` (${fmtRate(p.requestsPerSecond)} requests + ${
              fmtRate(p.messagesPerSecond)
            } replies)`),
      ),
    );
    if (p.targetRatePerSecond !== null) {
      const lag = p.scheduleLagMs;
      lines.push(
        row(
          "target rate",
          `${fmtRate(p.targetRatePerSecond)} calls/s` +
            (lag ? ` · schedule lag max ${fmtMs(lag.max)} ms, mean ${fmtMs(lag.mean)} ms` : ""),
        ),
      );
    }
    lines.push(row("latency ms", fmtSummary(p.latencyMs)));
    if (p.targetRatePerSecond !== null) lines.push(row("service ms", fmtSummary(p.serviceTimeMs)));
    if (p.firstMessageMs !== null) lines.push(row("first msg ms", fmtSummary(p.firstMessageMs)));
    lines.push(row("statuses", fmtStatuses(p.statuses, p.calls)));
    if (p.errors.length > 0 || p.errorsOmitted > 0) {
      const errorLines = p.errors.map((e) => `${e.count} × ${e.status}: ${e.message}`);
      if (p.errorsOmitted > 0) errorLines.push(`${p.errorsOmitted} more with other messages`);
      errorLines.forEach((text, i) => lines.push(row(i === 0 ? "errors" : "", text)));
    }
    if (p.aborted) {
      lines.push(row("aborted", `stopped early; ${p.notStarted} planned calls not started`));
    }
    const histogram = asciiHistogram(p.latencyBuckets, p.latencyMs);
    if (histogram.length > 0) lines.push("  latency histogram (ms)", ...histogram);
  }
  return `${lines.join("\n")}\n`;
}

const HISTOGRAM_ROWS = 10;
const BAR_WIDTH = 30;

/**
 * Re-bins the fine buckets into at most {@linkcode HISTOGRAM_ROWS} rows,
 * log-spaced from the exact minimum to the exact maximum. Each fine bucket
 * goes whole into the row holding its midpoint, so row edges are as precise
 * as the histogram (under 1 %).
 */
function asciiHistogram(
  buckets: readonly [number, number | null, number][],
  summary: BenchJsonLatency | null,
): string[] {
  if (buckets.length === 0 || summary === null) return [];
  const lo = Math.max(summary.min, 0.001);
  const hi = Math.max(summary.max, lo);
  const rowCount = hi > lo * 1.01 ? Math.min(HISTOGRAM_ROWS, buckets.length) : 1;
  const span = Math.log(hi / lo);
  const counts = new Array<number>(rowCount).fill(0);
  for (const [from, to, count] of buckets) {
    const mid = Math.min(hi, Math.max(lo, to === null ? from : (from + to) / 2));
    const at = rowCount === 1 ? 0 : Math.floor((rowCount * Math.log(mid / lo)) / span);
    counts[Math.min(rowCount - 1, Math.max(0, at))] += count;
  }
  const total = counts.reduce((sum, n) => sum + n, 0);
  const peak = Math.max(...counts);
  const edge = (i: number): number => {
    if (i === 0) return summary.min;
    if (i === rowCount) return summary.max;
    return lo * Math.exp((span * i) / rowCount);
  };
  return counts.map((count, i) => {
    const bar = count === 0 ? "" : "#".repeat(Math.max(1, Math.round((BAR_WIDTH * count) / peak)));
    const range = `${fmtMs(edge(i)).padStart(9)} .. ${fmtMs(edge(i + 1)).padEnd(9)}`;
    const share = `${((100 * count) / total).toFixed(1)}%`;
    return `    ${range} |${bar.padEnd(BAR_WIDTH)}| ${String(count).padStart(8)} ${
      share.padStart(6)
    }`;
  });
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(14)}${text}`;
}

function fmtSummary(s: BenchJsonLatency | null): string {
  if (s === null) return "-";
  return [
    `p50 ${fmtMs(s.p50)}`,
    `p90 ${fmtMs(s.p90)}`,
    `p99 ${fmtMs(s.p99)}`,
    `max ${fmtMs(s.max)}`,
    `mean ${fmtMs(s.mean)}`,
    `min ${fmtMs(s.min)}`,
  ].join(" · ");
}

function fmtStatuses(statuses: Record<string, number>, calls: number): string {
  const entries = Object.entries(statuses).sort(([sa, a], [sb, b]) =>
    sa === "OK" ? -1 : sb === "OK" ? 1 : b - a || sa.localeCompare(sb)
  );
  if (entries.length === 0) return "-";
  return entries
    .map(([status, n]) => `${status} ${n} (${calls > 0 ? ((100 * n) / calls).toFixed(1) : "0.0"}%)`)
    .join(" · ");
}
