/**
 * Reads a child process's JSON log lines (one object a line, as
 * `GREETER_LOG_FORMAT=json` writes them) as they come, so a chatty child never
 * blocks on a full pipe, and lets the caller wait, with a bound, for the line
 * it expects.
 *
 * @module
 */

/** A log line as parsed; a line that is not JSON is kept as `{ message: line }`. */
export type LogRecord = Record<string, unknown>;

/** What a wait looks for: a pattern tested on the line's `message`, or a test of the whole record. */
export type LogMatch = RegExp | ((record: LogRecord) => boolean);

/** Options for {@linkcode jsonLogReader}. */
export interface JsonLogReaderOptions {
  /**
   * Which raw lines to parse and keep; the others are read and dropped (a load
   * generator reading a server that logs every call parses only what it needs).
   * @default every line
   */
  keep?: (line: string) => boolean;
}

/** The reader {@linkcode jsonLogReader} returns. */
export interface JsonLogReader {
  /** Every kept line so far, parsed, in order. */
  readonly logs: LogRecord[];
  /** Every kept line so far as text, in order. */
  readonly lines: string[];
  /**
   * The first line after the one the previous `next` returned (from the start
   * the first time) that matches, waiting up to `timeoutMs`; rejects on timeout
   * or when the stream ends first, with the lines read so far.
   */
  next(match: LogMatch, timeoutMs?: number): Promise<LogRecord>;
  /** Like `next`, but any line read so far may match, and `next`'s place is left alone. */
  find(match: LogMatch, timeoutMs?: number): Promise<LogRecord>;
  /** Resolves once the stream has ended (the child closed it) and every line is in `logs`. */
  readonly ended: Promise<void>;
  /** Stops reading and waits until the reader has let go of the stream. */
  cancel(): Promise<void>;
}

/**
 * Starts reading JSON log lines from `stream` at once and keeps every line.
 *
 * @param stream the child's stderr (or stdout), piped
 * @param options which lines to keep
 * @returns the reader; `cancel` it (or let the stream end) before the test ends
 *
 * @example
 * ```ts
 * const child = new Deno.Command(Deno.execPath(), { args, stderr: "piped" }).spawn();
 * const log = jsonLogReader(child.stderr);
 * const ready = await log.next(/Greeter listening/, 30_000);
 * console.log(ready.address);
 * await log.cancel();
 * ```
 */
export function jsonLogReader(
  stream: ReadableStream<Uint8Array>,
  options: JsonLogReaderOptions = {},
): JsonLogReader {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const logs: LogRecord[] = [];
  const lines: string[] = [];
  let done = false;
  let seen = 0;
  let changed = Promise.withResolvers<void>();
  const add = (line: string) => {
    if (options.keep && !options.keep(line)) return;
    lines.push(line);
    try {
      logs.push(JSON.parse(line));
    } catch {
      logs.push({ message: line });
    }
  };
  const ended = (async () => {
    let buffered = "";
    try {
      while (true) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buffered += value;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) !== -1) {
          add(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
        changed.resolve();
        changed = Promise.withResolvers<void>();
      }
    } catch { /* cancelled, or the pipe failed: what was read stays */ }
    if (buffered !== "") add(buffered);
    done = true;
    changed.resolve();
  })();

  const test = (match: LogMatch, record: LogRecord) =>
    match instanceof RegExp ? match.test(String(record.message)) : match(record);
  const failure = (match: LogMatch, why: string) =>
    new Error(`no log line ${match} (${why}); logs: ${JSON.stringify(logs)}`);

  /** Waits up to `deadline` for more lines; false when the time is up. */
  const more = async (deadline: number): Promise<boolean> => {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arrived = await Promise.race([
      changed.promise.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), left))),
    ]);
    clearTimeout(timer);
    return arrived;
  };

  return {
    logs,
    lines,
    ended,
    async next(match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        while (seen < logs.length) {
          const record = logs[seen++];
          if (test(match, record)) return record;
        }
        if (done) throw failure(match, "the stream ended");
        if (!(await more(deadline))) throw failure(match, `timed out after ${timeoutMs} ms`);
      }
    },
    async find(match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let from = 0;
      while (true) {
        for (; from < logs.length; from++) {
          if (test(match, logs[from])) return logs[from];
        }
        if (done) throw failure(match, "the stream ended");
        if (!(await more(deadline))) throw failure(match, `timed out after ${timeoutMs} ms`);
      }
    },
    async cancel() {
      await reader.cancel().catch(() => {});
      await ended;
    },
  };
}
