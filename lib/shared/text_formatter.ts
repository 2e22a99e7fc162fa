/**
 * The project's text log line, written faster than logtape's own formatter
 * with byte-identical output.
 *
 * The line is what `getTextFormatter({ timestamp: "date-time-tz", value:
 * renderBareValue })` writes: `2026-01-02 03:04:05.678 +00 [INF]
 * greeter·server·call: <message>` and a line break. logtape's formatter
 * rebuilds the date from its parts and goes through several closures per
 * value; this one keeps the date and time up to the second from the previous
 * line, and renders the parts directly. Records it does not handle the same
 * way for sure (a value that is an object, a source location) go to logtape's
 * formatter, so the output never differs; `tests/shared/text_formatter_test.ts`
 * compares the two on every kind of value.
 *
 * @module
 */
import {
  getTextFormatter,
  type LogLevel,
  type LogRecord,
  sanitizeControlSequences,
  type TextFormatter,
} from "@logtape/logtape";

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

const LEVELS: Record<LogLevel, string> = {
  trace: "TRC",
  debug: "DBG",
  info: "INF",
  warning: "WRN",
  error: "ERR",
  fatal: "FTL",
};

/**
 * Characters that make logtape's sanitizer change a string: control
 * characters but tab, DEL and the C1 range; line breaks too in values (which
 * escape them). A string without any is returned as it is, so a regular
 * expression test replaces the sanitizer's loop over every character.
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE_IN_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * Builds the text formatter `setupLogging` uses: the same line as logtape's
 * `getTextFormatter({ timestamp: "date-time-tz", value: renderBareValue })`,
 * byte for byte, at a fraction of the cost per line.
 *
 * @returns a formatter for logtape sinks
 *
 * @example
 * ```ts
 * const sink = createBatchingSink(Deno.stderr.writable, createTextFormatter());
 * ```
 */
export function createTextFormatter(): SplitTextFormatter {
  const fallback = getTextFormatter({ timestamp: "date-time-tz", value: renderBareValue });
  // Date and time up to the second of the last line: most lines share it.
  let second = NaN;
  let secondText = "";
  // What follows the timestamp up to the message (` [INF] greeter·server·call: `)
  // for the last category and level: a busy server logs mostly one of each.
  let lastCategory: readonly string[] | undefined;
  let lastLevel: LogLevel | undefined;
  let headText = "";
  // The string parts of the last message, by index, and how each was
  // written: a message from the same template has the same literal text and
  // often the same values (method, status), which then need no second look
  // for control characters.
  const seen: unknown[] = [];
  const written: string[] = [];
  // The timestamp of the last line: several lines share a millisecond.
  let lastMs = NaN;
  let lastMsText = "";

  const timestamp = (ms: number): string => {
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      const d = new Date(ms);
      second = s;
      secondText = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
        `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.`;
    }
    return `${secondText}${pad3(ms - s * 1000)} +00`;
  };

  // The timestamp and the head text together: the same string object while
  // neither changes, which is how the sink knows its encoding still holds.
  let head = "";

  const body = (record: LogRecord): string | undefined => {
    const parts = record.message;
    if (
      record.sourceLocation !== undefined || !Number.isInteger(record.timestamp) ||
      record.timestamp < 0 || !(record.level in LEVELS)
    ) {
      return undefined;
    }
    let message = "";
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i % 2 === 0) {
        if (typeof part !== "string") return undefined;
        if (seen[i] !== part) {
          seen[i] = part;
          written[i] = UNSAFE_IN_TEXT.test(part) ? sanitizeControlSequences(part) : part;
        }
        message += written[i];
        continue;
      }
      switch (typeof part) {
        case "string":
          if (seen[i] !== part) {
            seen[i] = part;
            written[i] = UNSAFE_IN_VALUE.test(part)
              ? sanitizeControlSequences(part, { sgr: "escape", newlines: "escape" })
              : part;
          }
          message += written[i];
          break;
        case "number":
          message += Object.is(part, -0) ? "-0" : String(part);
          break;
        case "boolean":
        case "undefined":
          message += String(part);
          break;
        default:
          if (part !== null) return undefined;
          message += "null";
      }
    }
    let headChanged = false;
    if (record.category !== lastCategory || record.level !== lastLevel) {
      lastCategory = record.category;
      lastLevel = record.level;
      headText = ` [${LEVELS[record.level]}] ${
        record.category.map((c) => sanitizeControlSequences(c, { sgr: "escape" })).join("·")
      }: `;
      headChanged = true;
    }
    if (record.timestamp !== lastMs) {
      lastMs = record.timestamp;
      lastMsText = timestamp(lastMs);
      headChanged = true;
    }
    if (headChanged) head = `${lastMsText}${headText}`;
    return `${message}\n`;
  };

  const format = (record: LogRecord): string => {
    const rest = body(record);
    return rest === undefined ? fallback(record) : head + rest;
  };
  return Object.defineProperties(format, {
    body: { value: body },
    head: { get: () => head },
  }) as SplitTextFormatter;
}

/**
 * A text formatter that can also give a line as two parts: a head (timestamp,
 * level, category) that many lines in a row share, and a body (the message
 * and the line break). `createBatchingSink` (`log.ts`) encodes a head once
 * for all the lines that share it and each body on its own: the head holds
 * the category separator `·`, which sends a whole line through
 * `TextEncoder`'s slower non-ASCII path, while a body is usually plain ASCII.
 * `head + body(record)` is always the line the formatter itself writes.
 */
export interface SplitTextFormatter extends TextFormatter {
  /**
   * The body of `record`'s line, leaving its head in {@linkcode head}; or
   * `undefined` for a record only the formatter itself writes (call it then).
   */
  body(record: LogRecord): string | undefined;
  /** The head of the line `body` last made; the same string object until it changes. */
  readonly head: string;
}

/**
 * Whether `formatter` can give its lines as head and body.
 *
 * @param formatter any text formatter
 * @returns true for a {@linkcode SplitTextFormatter}
 */
export function isSplitTextFormatter(formatter: TextFormatter): formatter is SplitTextFormatter {
  return typeof (formatter as Partial<SplitTextFormatter>).body === "function" &&
    typeof (formatter as Partial<SplitTextFormatter>).head === "string";
}
