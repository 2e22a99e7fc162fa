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
