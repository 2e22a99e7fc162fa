/**
 * Logging set-up with `@logtape/logtape`: human-readable lines by default,
 * JSON lines on request, written through a non-blocking sink so a busy server
 * never waits on the terminal in its hot path.
 *
 * Three things keep a line per call cheap (measured with
 * `scripts/bench_logging.ts`; see BENCHMARKS.md):
 * - the sink ({@linkcode createBatchingSink}) only formats and encodes a
 *   record in the hot path and writes the lines of up to 10 ms with one
 *   `write`, where logtape's own non-blocking stream sink makes one
 *   asynchronous write per line;
 * - the text formatter ({@linkcode createTextFormatter}) writes logtape's
 *   text line byte for byte, rendering numbers, booleans and strings directly
 *   instead of through `Deno.inspect`;
 * - hot paths emit records from templates parsed once
 *   (`lib/shared/log_template.ts`), straight to the sink once their route is
 *   known (`lib/shared/_log_routes.ts`).
 *
 * @module
 */
import {
  configure,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
  type Sink,
  type TextFormatter,
} from "@logtape/logtape";
import { EncodedLines } from "./_encoded_lines.ts";
import { markDirectSink, observeRecord } from "./_log_routes.ts";
import {
  createTextFormatter,
  isSplitTextFormatter,
  renderBareValue,
  type SplitTextFormatter,
} from "./text_formatter.ts";

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
  /**
   * Index of the `GREETER_WORKERS` worker writing the lines: each line then
   * says which worker wrote it (text: ` worker=N` at its end; JSON: a
   * `worker` field). @default none (a single process writes no such field)
   */
  worker?: number;
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
    ? createJsonLinesFormatter(options.worker)
    : withWorkerSuffix(createTextFormatter(), options.worker);
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

export { renderBareValue };

/** Appends ` worker=N` to each text line (before its line break) when `worker` is set. */
function withWorkerSuffix(
  format: SplitTextFormatter,
  worker: number | undefined,
): SplitTextFormatter {
  if (worker === undefined) return format;
  const suffix = ` worker=${worker}`;
  const withSuffix = (line: string) =>
    line.endsWith("\n") ? `${line.slice(0, -1)}${suffix}\n` : `${line}${suffix}`;
  const body = (record: LogRecord) => {
    const rest = format.body(record);
    return rest === undefined ? undefined : withSuffix(rest);
  };
  return Object.defineProperties((record: LogRecord) => withSuffix(format(record)), {
    body: { value: body },
    head: { get: () => format.head },
  }) as SplitTextFormatter;
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
 *
 * @param worker when set, every line gets a `worker` field with this index
 * @returns the formatter
 */
export function createJsonLinesFormatter(worker?: number): TextFormatter {
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
    const properties = worker === undefined
      ? { template, ...record.properties }
      : { template, worker, ...record.properties };
    return json({ ...record, rawMessage: text, properties });
  };
}

/** Records a {@linkcode createBatchingSink} holds; past this the oldest are dropped. */
export const MAX_BUFFERED_RECORDS = 10_000;

/** Options for {@linkcode createBatchingSink}. */
export interface BatchingSinkOptions {
  /** Records held while the output is busy. @default MAX_BUFFERED_RECORDS */
  maxBufferedRecords?: number;
  /**
   * Longest time a record waits before its batch is written, in ms; 0 writes
   * on the next turn of the event loop. @default FLUSH_INTERVAL_MS
   */
  flushIntervalMs?: number;
}

/**
 * How long a {@linkcode createBatchingSink} gathers records before one write.
 * Each write costs about as much CPU as formatting twenty lines (a timer, the
 * stream machinery, a system call), so on a busy server a write per turn of
 * the event loop (a few lines each) was a large share of a call line's cost;
 * 10 ms gathers dozens of lines per write and is still immediate to a reader.
 */
export const FLUSH_INTERVAL_MS = 10;

/**
 * logtape hands a sink a copy of the record's properties unless the sink says
 * it is done with the record when it returns (logtape's own
 * `markSinkAsImmediate`, not exported, sets this registered symbol). The
 * batching sink formats each record when it receives it, so the copy, about a
 * tenth of a call line's cost, is not needed.
 */
const IMMEDIATE_SINK = Symbol.for("LogTape.sinkSnapshotPolicy.immediate");

/**
 * A non-blocking sink that writes lines in batches: the caller formats the
 * record into a line and queues it; a timer (`flushIntervalMs` after the
 * first queued line) later writes the queued lines to `stream` with one
 * `write`. Order is kept. Since a record is formatted when it is
 * logged, a property object changed afterwards does not change the line.
 * While the output is slow, at most `maxBufferedRecords` lines wait; the
 * oldest are dropped beyond that, and a warning line says how many.
 * Disposing writes what is queued and releases `stream` (it stays open).
 *
 * Each line is encoded to UTF-8 when it is queued (`_encoded_lines.ts`),
 * a formatter's shared line head once for all the lines that share it
 * (`SplitTextFormatter`). (Writing a `Deno.FsFile` directly instead of
 * through its `writable` was tried: its `write` costs about five times the
 * CPU of the stream writer's.)
 *
 * Why not logtape's `getStreamSink({ nonBlocking: true })`: it encodes and
 * writes every line on its own, one asynchronous write (a system call) per
 * call line, which made call logging most of the server's overhead.
 *
 * @param stream where lines go
 * @param formatter turns a record into a line (with its line break)
 * @param options buffer bound and flush interval
 * @returns the sink, to pass to logtape's `configure`
 *
 * @example
 * ```ts
 * await using sink = createBatchingSink(Deno.stderr.writable, createTextFormatter());
 * ```
 */
export function createBatchingSink(
  stream: WritableStream<Uint8Array>,
  formatter: TextFormatter,
  options: BatchingSinkOptions = {},
): Sink & AsyncDisposable {
  const max = options.maxBufferedRecords ?? MAX_BUFFERED_RECORDS;
  const interval = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  const writer = stream.getWriter();
  const lines = new EncodedLines();
  // Lines that share a head (timestamp, level, category) have it encoded once.
  const split = isSplitTextFormatter(formatter) ? formatter : undefined;
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let disposed = false;

  const writeOut = async () => {
    if (lines.length === 0 && dropped === 0) return;
    let bytes = lines.take();
    if (dropped > 0) {
      const warning = new TextEncoder().encode(formatter(droppedRecord(dropped)));
      dropped = 0;
      const joined = new Uint8Array(warning.length + bytes.length);
      joined.set(warning);
      joined.set(bytes, warning.length);
      bytes = joined;
    }
    await writer.ready;
    await writer.write(bytes);
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    // A failed write must not stop later ones; the output is where errors would go.
    writing = writing.then(writeOut).catch(() => {});
    return writing;
  };
  const sink = (record: LogRecord) => {
    observeRecord(sink, record);
    if (disposed) return;
    // Never throws (it is a direct sink): a record that cannot be formatted or
    // queued is skipped; the others still go out.
    try {
      const body = split?.body(record);
      const line = body === undefined ? formatter(record) : undefined;
      if (lines.length >= max) {
        lines.dropOldest();
        dropped++;
      }
      if (line === undefined) lines.pushSplit(split!.head, body!);
      else lines.push(line);
      timer ??= setTimeout(flush, interval);
    } catch {
      // Skipped.
    }
  };
  Object.defineProperty(sink, IMMEDIATE_SINK, { value: true });
  markDirectSink(sink);
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
