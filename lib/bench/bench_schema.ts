/**
 * The bench JSON document (`schema: "greeter-bench/1"`): its types, shared by
 * the writer, the parser, the text report and the comparison.
 *
 * Units are fixed: durations in milliseconds (fields end in `Ms`), rates per
 * second (fields end in `PerSecond`). Every key is always present; a figure
 * that does not apply is `null`, never missing.
 *
 * @module
 */

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
  /**
   * Request messages sent (1 per unary or server-streaming call; the
   * requests of client-streaming and bidi calls). Absent in documents
   * written before it was counted.
   */
  requests?: number;
  /** Request messages per second; absent in older documents. */
  requestsPerSecond?: number;
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
