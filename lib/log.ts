/**
 * Logging set-up with `@logtape/logtape`: human-readable lines by default,
 * JSON lines on request, written through a non-blocking sink so a busy server
 * never waits on the terminal in its hot path.
 *
 * @module
 */
import {
  configure,
  getJsonLinesFormatter,
  getLogger,
  getStreamSink,
  getTextFormatter,
  type Logger,
  type LogLevel,
  reset,
  type Sink,
} from "@logtape/logtape";

/** Root category of every logger in this project. */
export const LOG_CATEGORY = "greeter";

/** Output formats for log lines. */
export type LogFormat = "text" | "json";

/** Accepted log levels, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];

/** Options for {@linkcode setupLogging}. */
export interface LoggingOptions {
  /** Lowest level written. @default "info" */
  level?: LogLevel;
  /** Line format. @default "text" */
  format?: LogFormat;
  /** Where lines go; the stream is left open on dispose. @default Deno.stderr.writable */
  stream?: WritableStream<Uint8Array>;
  /** Replaces the stream sink entirely (tests pass a recording sink). */
  sink?: Sink;
}

/**
 * Configures logtape for the whole process. Disposing the result flushes
 * buffered lines and resets the configuration.
 *
 * @example
 * ```ts
 * await using _logging = await setupLogging({ level: "info", format: "json" });
 * ```
 */
export async function setupLogging(options: LoggingOptions = {}): Promise<AsyncDisposable> {
  const format = options.format ?? "text";
  const formatter = format === "json"
    ? getJsonLinesFormatter({ properties: "flatten" })
    : getTextFormatter({ timestamp: "date-time-tz", value: "bare" });
  const sink = options.sink ?? getStreamSink(options.stream ?? Deno.stderr.writable, {
    formatter,
    nonBlocking: true,
    closeStream: false,
  });
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: [LOG_CATEGORY], lowestLevel: options.level ?? "info", sinks: ["main"] },
      // logtape reports its own problems here; keep them, but only warnings up.
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
  return { [Symbol.asyncDispose]: () => reset() };
}

/** The project logger for a sub-category, e.g. `greeterLogger("server")`. */
export function greeterLogger(...category: string[]): Logger {
  return getLogger([LOG_CATEGORY, ...category]);
}
