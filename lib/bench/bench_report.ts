/**
 * Turns bench results into something to read or keep: a text report, a
 * stable JSON document (`schema: "greeter-bench/1"`), and a side-by-side
 * comparison of two such documents.
 *
 * Units in the JSON are fixed: durations in milliseconds (fields end in `Ms`),
 * rates per second (fields end in `PerSecond`). Every key is always present;
 * a figure that does not apply is `null`, never missing.
 *
 * @module
 */
import type { LatencySummary } from "./histogram.ts";
import type { LoadResult } from "./load_runner.ts";

/** The `schema` value of every bench JSON document this module writes and reads. */
export const BENCH_SCHEMA = "greeter-bench/1";

/** What was run, as the caller knows it; written into the report and the JSON. */
export interface BenchMeta {
  /** Server address, for example `"localhost:50051"`. */
  target: string;
  /** Workers per pattern. */
  concurrency: number;
  /** gRPC channels the workers share; `null` in JSON when not given. */
  channels?: number;
  /** Measurement window per pattern, ms; `null` in JSON when not given. */
  durationMs?: number;
  /** Call budget per pattern; `null` in JSON when not given. */
  totalCalls?: number;
  /** Target rate per pattern, calls per second; `null` in JSON when open-ended. */
  ratePerSecond?: number;
  /** Warm-up calls per pattern; `null` in JSON when not given. */
  warmupCalls?: number;
  /** Warm-up window per pattern, ms; `null` in JSON when not given. */
  warmupMs?: number;
  /** When the run started, ISO 8601. @default the current time */
  date?: string;
  /** Deno version. @default Deno.version.deno */
  denoVersion?: string;
  /** Git commit of the code under test; `null` in JSON when not given. */
  gitCommit?: string;
}

/** {@linkcode BenchMeta} as stored in JSON: every key present. */
export interface BenchJsonMeta {
  /** Server address. */
  target: string;
  /** Workers per pattern. */
  concurrency: number;
  /** gRPC channels, or `null`. */
  channels: number | null;
  /** Measurement window, ms, or `null`. */
  durationMs: number | null;
  /** Call budget, or `null`. */
  totalCalls: number | null;
  /** Target rate, per second, or `null`. */
  ratePerSecond: number | null;
  /** Warm-up calls, or `null`. */
  warmupCalls: number | null;
  /** Warm-up window, ms, or `null`. */
  warmupMs: number | null;
  /** ISO 8601 start time. */
  date: string;
  /** Deno version. */
  denoVersion: string;
  /** Git commit, or `null`. */
  gitCommit: string | null;
}

/** A {@linkcode LatencySummary} in JSON, ms, rounded to the microsecond. */
export interface BenchJsonLatency {
  /** Smallest sample. */
  min: number;
  /** Mean. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** Largest sample. */
  max: number;
}

/** The figures of one pattern (unary, server stream, …) in JSON. */
export interface BenchJsonPattern {
  /** Measured calls completed. */
  calls: number;
  /** Response messages received. */
  messages: number;
  /** Measurement time, ms. */
  elapsedMs: number;
  /** Completed calls per second. */
  callsPerSecond: number;
  /** Response messages per second. */
  messagesPerSecond: number;
  /** Latency (from intended start when rate-limited), or `null` when no call completed. */
  latencyMs: BenchJsonLatency | null;
  /** Service time (from actual start), or `null` when no call completed. */
  serviceTimeMs: BenchJsonLatency | null;
  /** Time to first message, or `null` when no call reported one. */
  firstMessageMs: BenchJsonLatency | null;
  /** Calls per status. */
  statuses: Record<string, number>;
  /** First distinct errors with counts. */
  errors: { status: string; message: string; count: number }[];
  /** Errors not listed in `errors`. */
  errorsOmitted: number;
  /** Warm-up calls completed, excluded from the figures. */
  warmupCalls: number;
  /** Workers. */
  concurrency: number;
  /** Most calls in flight at once. */
  maxInFlight: number;
  /** Target rate, per second, or `null` (closed loop). */
  targetRatePerSecond: number | null;
  /** Schedule slip, ms, or `null` (closed loop). */
  scheduleLagMs: { max: number; mean: number } | null;
  /** Whether the run was stopped early. */
  aborted: boolean;
  /** Planned calls never started because of the abort. */
  notStarted: number;
  /** Non-empty latency buckets `[fromMs, toMs, count]`; `toMs` is `null` for the overflow bucket. */
  latencyBuckets: [number, number | null, number][];
}

/** A whole bench JSON document. */
export interface BenchJson {
  /** Always {@linkcode BENCH_SCHEMA}. */
  schema: typeof BENCH_SCHEMA;
  /** What was run. */
  meta: BenchJsonMeta;
  /** Figures per pattern name, in the order they ran. */
  patterns: Record<string, BenchJsonPattern>;
}

/** A file that is not a readable bench JSON document; the message says why. */
export class BenchJsonError extends Error {
  /**
   * Creates the error.
   *
   * @param message what is wrong, starting with where
   */
  constructor(message: string) {
    super(message);
    this.name = "BenchJsonError";
  }
}

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

/**
 * Reads a bench JSON document, checking its schema and the type of every
 * field the report and comparison use. Unknown extra fields are ignored.
 *
 * @param text the file's contents
 * @param source a name for the text in error messages, such as its path
 * @returns the document
 * @throws {BenchJsonError} naming the source and the first problem found
 *
 * @example
 * ```ts
 * const before = parseBenchJson(await Deno.readTextFile("a.json"), "a.json");
 * ```
 */
export function parseBenchJson(text: string, source = "bench JSON"): BenchJson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BenchJsonError(`${source}: not valid JSON (${reason})`);
  }
  if (!isRecord(data)) {
    throw new BenchJsonError(`${source}: expected a JSON object, got ${kindOf(data)}`);
  }
  if (data.schema === undefined) {
    throw new BenchJsonError(
      `${source}: not a greeter bench file (no "schema" field; expected "${BENCH_SCHEMA}")`,
    );
  }
  if (data.schema !== BENCH_SCHEMA) {
    throw new BenchJsonError(
      `${source}: unsupported schema ${
        JSON.stringify(data.schema)
      } (this version reads "${BENCH_SCHEMA}")`,
    );
  }
  const check = new Checker(source);
  const meta = check.record(data, "", "meta");
  check.string(meta, "meta", "target");
  check.number(meta, "meta", "concurrency");
  for (const key of ["channels", "durationMs", "totalCalls", "ratePerSecond", "warmupCalls"]) {
    check.number(meta, "meta", key, true);
  }
  check.number(meta, "meta", "warmupMs", true);
  check.string(meta, "meta", "date");
  check.string(meta, "meta", "denoVersion");
  check.string(meta, "meta", "gitCommit", true);
  const patterns = check.record(data, "", "patterns");
  for (const name of Object.keys(patterns)) {
    const p = check.record(patterns, "patterns", name);
    const at = `patterns.${name}`;
    for (const key of PATTERN_NUMBERS) check.number(p, at, key);
    for (const key of ["latencyMs", "serviceTimeMs", "firstMessageMs"]) {
      const summary = check.record(p, at, key, true);
      if (summary === null) continue;
      for (const figure of ["min", "mean", "p50", "p90", "p99", "p999", "max"]) {
        check.number(summary, `${at}.${key}`, figure);
      }
    }
    const statuses = check.record(p, at, "statuses");
    for (const status of Object.keys(statuses)) check.number(statuses, `${at}.statuses`, status);
    check.array(p, at, "errors").forEach((_, i) => {
      const entry = check.record(p.errors as Record<string, unknown>, `${at}.errors`, String(i));
      check.string(entry, `${at}.errors[${i}]`, "status");
      check.string(entry, `${at}.errors[${i}]`, "message");
      check.number(entry, `${at}.errors[${i}]`, "count");
    });
    check.number(p, at, "targetRatePerSecond", true);
    const lag = check.record(p, at, "scheduleLagMs", true);
    if (lag !== null) {
      check.number(lag, `${at}.scheduleLagMs`, "max");
      check.number(lag, `${at}.scheduleLagMs`, "mean");
    }
    if (typeof p.aborted !== "boolean") throw check.error(`${at}.aborted`, "a boolean", p.aborted);
    check.array(p, at, "latencyBuckets").forEach((bucket, i) => {
      const ok = Array.isArray(bucket) && bucket.length === 3 && typeof bucket[0] === "number" &&
        (typeof bucket[1] === "number" || bucket[1] === null) && typeof bucket[2] === "number";
      if (!ok) {
        throw check.error(`${at}.latencyBuckets[${i}]`, "[fromMs, toMs or null, count]", bucket);
      }
    });
  }
  return data as unknown as BenchJson;
}

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
        `${fmtRate(p.callsPerSecond)} calls/s · ${fmtRate(p.messagesPerSecond)} msgs/s`,
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

/** Options for {@linkcode formatComparison}. */
export interface ComparisonOptions {
  /** Name of the first document, such as its path. @default "A" */
  labelA?: string;
  /** Name of the second document. @default "B" */
  labelB?: string;
}

/**
 * Compares two bench documents pattern by pattern: each figure for A and B
 * side by side with the ratio **B/A** (A is the baseline, B the candidate).
 * For calls/s and msgs/s a ratio above 1 means B is faster; for latency a
 * ratio below 1 means B is faster. A figure moving more than 5 % in B's favour
 * is marked `better`, against it `worse`, otherwise `~same`. Patterns present
 * in only one document are listed at the end, and differing settings
 * (target, concurrency, rate, …) are noted, since they make ratios moot.
 *
 * @param a the baseline document
 * @param b the candidate document
 * @param options labels for the two documents
 * @returns the comparison text, ending in a newline
 *
 * @example
 * ```ts
 * // A did 1000 calls/s, B 2000 calls/s: the row reads "2.00x  better".
 * console.log(formatComparison(before, after, { labelA: "main.json", labelB: "pr.json" }));
 * ```
 */
export function formatComparison(
  a: BenchJson,
  b: BenchJson,
  options: ComparisonOptions = {},
): string {
  const labelA = options.labelA ?? "A";
  const labelB = options.labelB ?? "B";
  const lines = [`Bench comparison: A = ${labelA}, B = ${labelB}`];
  lines.push(`  A: ${a.meta.target} · ${settingsOf(a.meta)} · ${provenanceOf(a.meta)}`);
  lines.push(`  B: ${b.meta.target} · ${settingsOf(b.meta)} · ${provenanceOf(b.meta)}`);
  lines.push(
    "  Ratios are B/A: above 1.00x means B is higher (faster for calls/s and msgs/s,",
    "  slower for latency).",
  );
  const compared: (keyof BenchJsonMeta)[] = [
    "target",
    "concurrency",
    "channels",
    "durationMs",
    "totalCalls",
    "ratePerSecond",
  ];
  for (const key of compared) {
    if (a.meta[key] !== b.meta[key]) {
      lines.push(`  note: ${key} differs (A ${a.meta[key] ?? "-"}, B ${b.meta[key] ?? "-"})`);
    }
  }
  const namesA = Object.keys(a.patterns);
  const namesB = Object.keys(b.patterns);
  const common = namesA.filter((name) => name in b.patterns);
  if (common.length === 0) lines.push("", "No pattern appears in both files.");
  for (const name of common) {
    const pa = a.patterns[name];
    const pb = b.patterns[name];
    lines.push("", name);
    lines.push(
      `  ${"figure".padEnd(18)}${"A".padStart(12)}${"B".padStart(12)}${"B/A".padStart(9)}`,
    );
    lines.push(compareRow("calls/s", pa.callsPerSecond, pb.callsPerSecond, true, fmtRate));
    lines.push(compareRow("msgs/s", pa.messagesPerSecond, pb.messagesPerSecond, true, fmtRate));
    for (const figure of ["p50", "p90", "p99", "max"] as const) {
      lines.push(
        compareRow(
          `latency ${figure} ms`,
          pa.latencyMs?.[figure] ?? null,
          pb.latencyMs?.[figure] ?? null,
          false,
          fmtMs,
        ),
      );
    }
    if (pa.firstMessageMs !== null && pb.firstMessageMs !== null) {
      for (const figure of ["p50", "p99"] as const) {
        lines.push(
          compareRow(
            `first msg ${figure} ms`,
            pa.firstMessageMs[figure],
            pb.firstMessageMs[figure],
            false,
            fmtMs,
          ),
        );
      }
    }
    const failedA = failures(pa);
    const failedB = failures(pb);
    lines.push(
      `  ${"non-OK calls".padEnd(18)}${String(failedA).padStart(12)}${
        String(failedB).padStart(12)
      }`,
    );
  }
  const onlyA = namesA.filter((name) => !(name in b.patterns));
  const onlyB = namesB.filter((name) => !(name in a.patterns));
  if (onlyA.length > 0 || onlyB.length > 0) lines.push("");
  if (onlyA.length > 0) lines.push(`Only in A (${labelA}): ${onlyA.join(", ")}`);
  if (onlyB.length > 0) lines.push(`Only in B (${labelB}): ${onlyB.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The ratio B/A as printed by {@linkcode formatComparison}: two decimals and
 * an `x`, or `n/a` when A is zero or either figure is missing.
 *
 * @param a the baseline figure
 * @param b the candidate figure
 * @returns for example `"2.00x"` for a = 1000, b = 2000
 */
export function formatRatio(a: number | null, b: number | null): string {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) {
    return "n/a";
  }
  return `${(b / a).toFixed(2)}x`;
}

function compareRow(
  label: string,
  a: number | null,
  b: number | null,
  higherIsBetter: boolean,
  fmt: (v: number) => string,
): string {
  const ratio = formatRatio(a, b);
  let verdict = "";
  if (ratio !== "n/a") {
    const r = b! / a!;
    const better = higherIsBetter ? r > 1.05 : r < 1 / 1.05;
    const worse = higherIsBetter ? r < 1 / 1.05 : r > 1.05;
    verdict = better ? "  better" : worse ? "  worse" : "  ~same";
  }
  const va = a === null ? "-" : fmt(a);
  const vb = b === null ? "-" : fmt(b);
  return `  ${label.padEnd(18)}${va.padStart(12)}${vb.padStart(12)}${ratio.padStart(9)}${verdict}`;
}

function failures(p: BenchJsonPattern): number {
  let sum = 0;
  for (const [status, count] of Object.entries(p.statuses)) if (status !== "OK") sum += count;
  return sum;
}

function patternJson(result: LoadResult): BenchJsonPattern {
  return {
    calls: result.calls,
    messages: result.messages,
    elapsedMs: round(result.elapsedMs, 3),
    callsPerSecond: round(result.callsPerSecond, 2),
    messagesPerSecond: round(result.messagesPerSecond, 2),
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

function settingsOf(meta: BenchJsonMeta): string {
  const parts = [`concurrency ${meta.concurrency}`];
  if (meta.channels !== null) parts.push(`channels ${meta.channels}`);
  if (meta.durationMs !== null) parts.push(`duration ${fmtSeconds(meta.durationMs)}`);
  if (meta.totalCalls !== null) parts.push(`calls ${meta.totalCalls}`);
  parts.push(meta.ratePerSecond !== null ? `rate ${fmtRate(meta.ratePerSecond)}/s` : "rate open");
  if (meta.warmupCalls !== null) parts.push(`warm-up ${meta.warmupCalls} calls`);
  if (meta.warmupMs !== null) parts.push(`warm-up ${fmtSeconds(meta.warmupMs)}`);
  return parts.join(" · ");
}

function provenanceOf(meta: BenchJsonMeta): string {
  const parts = [meta.date, `deno ${meta.denoVersion}`];
  if (meta.gitCommit !== null) parts.push(`commit ${meta.gitCommit}`);
  return parts.join(" · ");
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

/** Milliseconds with about three significant digits. */
function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

function fmtRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? perSecond.toFixed(1) : "-";
}

function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

const PATTERN_NUMBERS = [
  "calls",
  "messages",
  "elapsedMs",
  "callsPerSecond",
  "messagesPerSecond",
  "errorsOmitted",
  "warmupCalls",
  "concurrency",
  "maxInFlight",
  "notStarted",
];

/** Field checks that throw on the first problem, naming its dotted path. */
class Checker {
  readonly #source: string;
  constructor(source: string) {
    this.#source = source;
  }

  error(path: string, expected: string, got: unknown): BenchJsonError {
    return new BenchJsonError(`${this.#source}: ${path}: expected ${expected}, got ${kindOf(got)}`);
  }

  number(parent: Record<string, unknown>, at: string, key: string, nullable = false): void {
    const value = parent[key];
    if (nullable && value === null) return;
    if (typeof value !== "number") {
      throw this.error(join(at, key), nullable ? "a number or null" : "a number", value);
    }
  }

  string(parent: Record<string, unknown>, at: string, key: string, nullable = false): void {
    const value = parent[key];
    if (nullable && value === null) return;
    if (typeof value !== "string") {
      throw this.error(join(at, key), nullable ? "a string or null" : "a string", value);
    }
  }

  record(parent: Record<string, unknown>, at: string, key: string): Record<string, unknown>;
  record(
    parent: Record<string, unknown>,
    at: string,
    key: string,
    nullable: true,
  ): Record<string, unknown> | null;
  record(
    parent: Record<string, unknown>,
    at: string,
    key: string,
    nullable = false,
  ): Record<string, unknown> | null {
    const value = parent[key];
    if (nullable && value === null) return null;
    if (!isRecord(value)) {
      throw this.error(join(at, key), nullable ? "an object or null" : "an object", value);
    }
    return value;
  }

  array(parent: Record<string, unknown>, at: string, key: string): unknown[] {
    const value = parent[key];
    if (!Array.isArray(value)) throw this.error(join(at, key), "an array", value);
    return value;
  }
}

function join(at: string, key: string): string {
  if (at === "") return key;
  return /^\d+$/.test(key) ? `${at}[${key}]` : `${at}.${key}`;
}
