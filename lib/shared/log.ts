/**
 * Logging set-up with `@logtape/logtape`: human-readable lines by default,
 * JSON lines on request, written through a non-blocking sink so a busy server
 * never waits on the terminal in its hot path.
 *
 * Two things keep a line per call cheap (measured with
 * `scripts/bench_logging.ts`; see BENCHMARKS.md):
 * - the sink ({@linkcode createBatchingSink}) only queues a record in the
 *   hot path and writes each turn's lines with one `write`, where logtape's
 *   own non-blocking stream sink makes one asynchronous write per line;
 * - the text formatter renders numbers, booleans and strings directly instead
 *   of through `Deno.inspect`, with the same output ("bare" values, control
 *   characters in strings escaped).
 *
 * @module
 */
import {
  configure,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
  sanitizeControlSequences,
  type Sink,
  type TextFormatter,
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
    ? createJsonLinesFormatter()
    : getTextFormatter({ timestamp: "date-time-tz", value: renderBareValue });
  const sink = options.sink ??
    createBatchingSink(options.stream ?? Deno.stderr.writable, formatter);
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: [LOG_CATEGORY], lowestLevel: options.level ?? "info", sinks: ["main"] },
      // logtape reports its own problems here; keep them, but only warnings up.
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
  // reset() disposes the sink, which writes out what is still queued.
  return { [Symbol.asyncDispose]: () => reset() };
}

/**
 * Renders a property value in a text line as logtape's `value: "bare"` does
 * (strings without quotes, control characters and line breaks escaped, other
 * values as `Deno.inspect` shows them), without calling `inspect` for
 * primitives, which is most of the formatter's cost per line.
 *
 * @param value a property value
 * @param inspect logtape's inspector, for objects and the like
 * @returns the text shown in the line
 */
export function renderBareValue(value: unknown, inspect: (value: unknown) => string): string {
  switch (typeof value) {
    case "string":
      return sanitizeControlSequences(value, { sgr: "escape", newlines: "escape" });
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "boolean":
    case "undefined":
      return String(value);
    default:
      return value === null ? "null" : inspect(value);
  }
}

/**
 * JSON lines for log collectors: `message` is the rendered text (what the
 * text format shows), `template` is the message template, and every value is
 * a field of its own, so collectors can both show the line and group lines by
 * template or filter on any value.
 *
 * @example
 * ```ts
 * // {"@timestamp":"…","level":"INFO","message":"call /x/Y","logger":"greeter.test",
 * //  "template":"call {method}","method":"/x/Y"}
 * const format = createJsonLinesFormatter();
 * ```
 */
export function createJsonLinesFormatter(): TextFormatter {
  const json = getJsonLinesFormatter({ properties: "flatten", message: "template" });
  const inspect = (value: unknown) => Deno.inspect(value);
  return (record) => {
    let text = "";
    for (let i = 0; i < record.message.length; i++) {
      const part = record.message[i];
      text += i % 2 === 0 ? String(part) : renderBareValue(part, inspect);
    }
    const template = typeof record.rawMessage === "string"
      ? record.rawMessage
      : record.rawMessage.join("{}");
    return json({ ...record, rawMessage: text, properties: { template, ...record.properties } });
  };
}

/** Records a {@linkcode createBatchingSink} holds; past this the oldest are dropped. */
export const MAX_BUFFERED_RECORDS = 10_000;

/** Options for {@linkcode createBatchingSink}. */
export interface BatchingSinkOptions {
  /** Records held while the output is busy. @default MAX_BUFFERED_RECORDS */
  maxBufferedRecords?: number;
}

/**
 * A non-blocking sink that writes each turn's records as one batch: the
 * caller only queues the record; a zero-delay timer later formats the
 * queued records, joins them and writes them to `stream` with one `write`.
 * While the output is slow, at most `maxBufferedRecords` records wait; the
 * oldest are dropped beyond that, and a warning line says how many.
 * Disposing writes what is queued and releases `stream` (it stays open).
 *
 * Why not logtape's `getStreamSink({ nonBlocking: true })`: it encodes and
 * writes every line on its own, one asynchronous write (a system call) per
 * call line, which made call logging most of the server's overhead.
 *
 * @param stream where lines go
 * @param formatter turns a record into a line (with its line break)
 * @param options buffer bound
 * @returns the sink, to pass to logtape's `configure`
 */
export function createBatchingSink(
  stream: WritableStream<Uint8Array>,
  formatter: TextFormatter,
  options: BatchingSinkOptions = {},
): Sink & AsyncDisposable {
  const max = options.maxBufferedRecords ?? MAX_BUFFERED_RECORDS;
  const writer = stream.getWriter();
  const encoder = new TextEncoder();
  let queued: LogRecord[] = [];
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let disposed = false;

  const writeOut = async () => {
    if (queued.length === 0 && dropped === 0) return;
    const batch = queued;
    queued = [];
    let text = "";
    if (dropped > 0) {
      text += formatter(droppedRecord(dropped));
      dropped = 0;
    }
    for (const record of batch) {
      try {
        text += formatter(record);
      } catch {
        // A record that cannot be formatted is skipped; the others still go out.
      }
    }
    await writer.ready;
    await writer.write(encoder.encode(text));
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    // A failed write must not stop later ones; the output is where errors would go.
    writing = writing.then(writeOut).catch(() => {});
    return writing;
  };
  const sink = (record: LogRecord) => {
    if (disposed) return;
    if (queued.length >= max) {
      queued.shift();
      dropped++;
    }
    queued.push(record);
    timer ??= setTimeout(flush, 0);
  };
  return Object.assign(sink, {
    async [Symbol.asyncDispose]() {
      disposed = true;
      await flush();
      writer.releaseLock();
    },
  });
}

function droppedRecord(count: number): LogRecord {
  const message = `${count} log records dropped: the log output could not keep up`;
  return {
    category: ["logtape", "meta"],
    level: "warning",
    message: [message],
    rawMessage: message,
    timestamp: Date.now(),
    properties: { dropped: count },
  };
}

/**
 * A console-shaped logger for `grpc.setLogger`, so grpc-js's own messages go
 * through the project's sink and format instead of raw `console.error`.
 * They are logged at debug level: what they report that matters (a port
 * that cannot be bound, a handshake that fails) already reaches the operator
 * as an error from the project's code, and `GREETER_LOG_LEVEL=debug` shows
 * the rest. (`GRPC_TRACE` output, which can include request headers, is
 * debugging for a developer's own machine: never enable it in production.)
 */
export function grpcJsLogger(): Pick<Console, "error" | "info" | "debug"> {
  const logger = getLogger([LOG_CATEGORY, "grpc-js"]);
  const forward = (...args: unknown[]) => logger.debug("{text}", { text: args.join(" ") });
  return { error: forward, info: forward, debug: forward };
}

/** The project logger for a sub-category, e.g. `greeterLogger("server")`. */
export function greeterLogger(...category: string[]): Logger {
  return getLogger([LOG_CATEGORY, ...category]);
}
