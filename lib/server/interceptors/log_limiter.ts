/**
 * Bounds the log lines of failed calls, so that a flood of bad calls (bad
 * tokens, HTTP/2 rapid reset, garbage requests) cannot fill the disk: per kind
 * of failure (status and reason), the first `burst` lines of each interval are
 * written, the rest are counted, and one line per kind at the end of the
 * interval says how many were left out. OK calls never pass through here.
 *
 * The check is a `Map` lookup per failed call; the number of kinds tracked in
 * an interval is capped, so a client that makes up reasons (the details of
 * some grpc-js answers carry sizes or method names) cannot grow the map.
 *
 * @module
 */

/** Default lines written per kind of failure per interval. */
export const DEFAULT_LOG_BURST = 10;
/** Default interval, in ms. */
export const DEFAULT_LOG_INTERVAL_MS = 10_000;
/** Default number of kinds tracked per interval; further kinds share one per status. */
export const DEFAULT_MAX_LOG_KINDS = 100;

/** What a summary reports: one kind of failure and how many of its lines were left out. */
export interface SuppressedLines {
  /** Status name, e.g. `UNAUTHENTICATED`. */
  readonly status: string;
  /** The reason (status message), or `(various)` for kinds past the cap. */
  readonly details: string;
  /** Lines left out in the interval. */
  readonly count: number;
  /** Length of the interval, in ms. */
  readonly intervalMs: number;
}

/** Options for {@linkcode createLogLimiter}. */
export interface LogLimiterOptions {
  /** Lines written per kind per interval. @default DEFAULT_LOG_BURST */
  burst?: number;
  /** Interval, in ms. @default DEFAULT_LOG_INTERVAL_MS */
  intervalMs?: number;
  /** Kinds tracked per interval. @default DEFAULT_MAX_LOG_KINDS */
  maxKinds?: number;
  /** Writes the summary of one kind at the end of an interval in which lines were left out. */
  report: (summary: SuppressedLines) => void;
  /** Monotonic clock, in ms. @default performance.now */
  now?: () => number;
}

/** A limiter; see {@linkcode createLogLimiter}. */
export interface LogLimiter {
  /** True when the line for a failure of `status` with `details` may be written now. */
  admit(status: string, details: string): boolean;
  /** Lines left out since the limiter was made (for the `log lines suppressed` metric). */
  readonly suppressed: number;
  /** Reports what the current interval left out and starts a new one (at shutdown). */
  flush(): void;
}

interface Kind {
  status: string;
  details: string;
  seen: number;
}

/**
 * Builds a limiter. A summary is written when the interval in which lines were
 * left out ends (by an unref'd timer, so it never keeps a process alive), or
 * at {@linkcode LogLimiter.flush}.
 */
export function createLogLimiter(options: LogLimiterOptions): LogLimiter {
  const burst = options.burst ?? DEFAULT_LOG_BURST;
  const intervalMs = options.intervalMs ?? DEFAULT_LOG_INTERVAL_MS;
  const maxKinds = options.maxKinds ?? DEFAULT_MAX_LOG_KINDS;
  const now = options.now ?? (() => performance.now());
  let kinds = new Map<string, Kind>();
  let windowStart = -Infinity;
  let suppressed = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const ended = kinds;
    kinds = new Map();
    windowStart = -Infinity;
    for (const kind of ended.values()) {
      if (kind.seen > burst) {
        options.report({
          status: kind.status,
          details: kind.details,
          count: kind.seen - burst,
          intervalMs,
        });
      }
    }
  };

  return {
    admit(status, details) {
      const at = now();
      if (at - windowStart >= intervalMs) {
        if (kinds.size > 0) flush();
        windowStart = at;
      }
      let key = `${status}\u0000${details}`;
      let kind = kinds.get(key);
      if (kind === undefined) {
        if (kinds.size >= maxKinds) {
          key = `${status}\u0000`;
          kind = kinds.get(key);
        }
        if (kind === undefined) {
          kind = { status, details: kinds.size >= maxKinds ? "(various)" : details, seen: 0 };
          kinds.set(key, kind);
        }
      }
      kind.seen++;
      if (kind.seen <= burst) return true;
      suppressed++;
      if (timer === undefined) {
        timer = setTimeout(flush, Math.max(0, windowStart + intervalMs - at));
        Deno.unrefTimer(timer);
      }
      return false;
    },
    get suppressed() {
      return suppressed;
    },
    flush,
  };
}
