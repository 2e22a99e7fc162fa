/**
 * The project's text formatter writes exactly what logtape's text formatter
 * (with the project's options) writes, for every kind of value, level,
 * category and timestamp.
 */
import { getTextFormatter, type LogLevel, type LogRecord } from "@logtape/logtape";
import assert from "node:assert/strict";
import { createTextFormatter, renderBareValue } from "../../lib/shared/text_formatter.ts";

const logtape = getTextFormatter({ timestamp: "date-time-tz", value: renderBareValue });

function record(message: unknown[], extra: Partial<LogRecord> = {}): LogRecord {
  return {
    category: ["greeter", "server", "call"],
    level: "info",
    message,
    rawMessage: "",
    timestamp: Date.UTC(2026, 10, 29, 16, 5, 9, 42),
    properties: {},
    ...extra,
  };
}

/** Every code point from 0 to 0xa0, so no unsafe one is missed by a fast path. */
function controlCharacters(): string {
  return Array.from({ length: 0xa1 }, (_, i) => String.fromCharCode(i)).join("");
}

const VALUES: [string, unknown][] = [
  ["a plain string", "/helloworld.Greeter/SayHello"],
  ["a string with a line break and a tab", "a\nb\tc\r"],
  ["a string whose one control character is a line break", "a\nb"],
  ["a string whose one control character is DEL", "a\u007fb"],
  ["a string with an SGR sequence", "\x1b[31mred\x1b[0m"],
  ["a string with C1 and DEL characters", "x\u0085y\u007fz"],
  ["an empty string", ""],
  ["non-ASCII text", "Grüße, 世界 🙂"],
  ["a string with every C0 and C1 control character", controlCharacters()],
  ["a string with Latin-1 letters next to the C1 range", "\u009f\u00a0é\u00ff"],
  ["an integer", 42],
  ["a fraction", 0.125],
  ["negative zero", -0],
  ["NaN", NaN],
  ["infinity", -Infinity],
  ["a large number", 1e21],
  ["true", true],
  ["undefined", undefined],
  ["null", null],
  ["a bigint", 12n],
  ["an object", { a: 1, b: ["x"] }],
  ["an array", [1, "two"]],
  ["an error", new Error("boom")],
  ["a symbol", Symbol("s")],
];

for (const [what, value] of VALUES) {
  Deno.test(`text formatter writes logtape's line for ${what}`, () => {
    const r = record(["value=", value, " end"]);
    assert.equal(createTextFormatter()(r), logtape(r));
  });
}

const LITERALS: [string, string][] = [
  ["every C0 and C1 control character", controlCharacters()],
  ["a line break", "first\nsecond"],
  ["an SGR sequence", "\x1b[1mbold\x1b[0m and \x1b[2m"],
  ["a bare escape", "esc \x1b here"],
];

for (const [what, literal] of LITERALS) {
  Deno.test(`text formatter writes logtape's line for a template with ${what}`, () => {
    const r = record([literal, "v", literal]);
    assert.equal(createTextFormatter()(r), logtape(r));
  });
}

for (const level of ["trace", "debug", "info", "warning", "error", "fatal"] as LogLevel[]) {
  Deno.test(`text formatter writes logtape's line at level ${level}`, () => {
    const r = record(["x"], { level });
    assert.equal(createTextFormatter()(r), logtape(r));
  });
}

Deno.test("text formatter writes logtape's line for odd categories", () => {
  const format = createTextFormatter();
  for (const category of [["greeter"], ["a\x1b[31mb", "c\nd"], ["logtape", "meta"], []]) {
    const r = record(["x"], { category });
    assert.equal(format(r), logtape(r));
  }
});

Deno.test("text formatter writes logtape's timestamps, across seconds and back", () => {
  const format = createTextFormatter();
  const times = [
    0,
    5,
    999,
    1000,
    Date.UTC(1999, 11, 31, 23, 59, 59, 999),
    Date.UTC(2000, 0, 1, 0, 0, 0, 0),
    Date.UTC(2026, 1, 28, 9, 8, 7, 60),
    Date.UTC(2026, 1, 28, 9, 8, 7, 600),
    Date.UTC(2026, 1, 28, 9, 8, 6, 600), // an earlier second after a later one
    1.5, // not whole milliseconds
    -1, // before 1970
  ];
  for (const timestamp of times) {
    const r = record(["at"], { timestamp });
    assert.equal(format(r), logtape(r), `timestamp ${timestamp}`);
  }
});

Deno.test("text formatter writes logtape's line for a record with a source location", () => {
  const r = record(["x"], {
    sourceLocation: { file: "/x.ts", line: 3, column: 1, function: "f" },
  } as Partial<LogRecord>);
  assert.equal(createTextFormatter()(r), logtape(r));
});

Deno.test("text formatter writes logtape's line for a long call line", () => {
  const r = record([
    "",
    "/helloworld.Greeter/SayHelloStream",
    " ",
    "INVALID_ARGUMENT",
    " in ",
    1.234,
    "ms peer=",
    "[::1]:4000",
    " in=",
    1,
    " out=",
    0,
    " id=",
    "0b9e6a5e-1d2f-4c1e-9d7a-3f0e8b2c4a11",
    " sub=",
    undefined,
    " details=",
    "name must not be empty or blank",
    "",
  ]);
  assert.equal(createTextFormatter()(r), logtape(r));
});

Deno.test("text formatter writes logtape's line for each of a mixed run of records through one formatter", () => {
  // One formatter keeps the last category, level, timestamp and message parts;
  // a run that changes each of them now and then must still match record by record.
  const format = createTextFormatter();
  const texts = ["", " in ", "a\nb", "\x1b[31mred", "id=", "x\u0085y"];
  const values = [...VALUES.map(([, value]) => value), "a\nb", "a\nb", "same", "same"];
  const categories = [["greeter", "server", "call"], ["greeter", "server"], ["a\x1b[31mb"]];
  const levels: LogLevel[] = ["info", "warning", "error"];
  let seed = 7;
  const pick = <T>(from: readonly T[]): T => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return from[(seed >>> 8) % from.length];
  };
  let timestamp = Date.UTC(2026, 10, 29, 16, 5, 9, 998);
  for (let n = 0; n < 2000; n++) {
    const message: unknown[] = [pick(texts)];
    for (let i = pick([0, 1, 2, 3]); i > 0; i--) message.push(pick(values), pick(texts));
    timestamp += pick([0, 0, 1, 7, -3]);
    const r = record(message, { category: pick(categories), level: pick(levels), timestamp });
    assert.equal(format(r), logtape(r), `record ${n}: ${Deno.inspect(message)}`);
    // The same line as head and body, as the batching sink takes it.
    const body = format.body(r);
    if (body !== undefined) assert.equal(format.head + body, logtape(r), `record ${n}, split`);
  }
});

Deno.test("text formatter gives a line as head and body, the head the same string while it holds", () => {
  const format = createTextFormatter();
  const at = (ms: number, level: LogLevel = "info") =>
    record(["call ", "/x/Y", " OK"], { timestamp: Date.UTC(2026, 10, 29, 16, 5, 9, ms), level });
  assert.equal(format.body(at(1)), "call /x/Y OK\n");
  const head = format.head;
  assert.equal(head, "2026-11-29 16:05:09.001 +00 [INF] greeter·server·call: ");
  format.body(at(1));
  assert.ok(Object.is(format.head, head), "same millisecond, level and category: same head");
  format.body(at(2));
  assert.equal(format.head, "2026-11-29 16:05:09.002 +00 [INF] greeter·server·call: ");
  format.body(at(2, "error"));
  assert.equal(format.head, "2026-11-29 16:05:09.002 +00 [ERR] greeter·server·call: ");
  const located = record(
    ["x"],
    { sourceLocation: { file: "a.ts", line: 1 } } as Partial<LogRecord>,
  );
  assert.equal(format.body(located), undefined, "a record only the formatter writes");
  assert.equal(format(located), logtape(located));
});
