/**
 * A compiled template emits the record logtape's own `logger.info` builds
 * (message parts, properties, category, level), so every formatter writes
 * the same line from it.
 */
import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import assert from "node:assert/strict";
import { compileLogTemplate } from "../../lib/shared/log_template.ts";

/** Routes the `test` category into an array for the duration of `fn`. */
async function withRecords(fn: (records: LogRecord[]) => void): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { rec: (record) => records.push(record) },
    loggers: [
      { category: ["test"], lowestLevel: "info", sinks: ["rec"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    fn(records);
  } finally {
    await reset();
  }
  return records;
}

/** The parts of a record that a formatter reads, timestamp aside. */
function content(record: LogRecord) {
  return {
    category: record.category,
    level: record.level,
    message: record.message,
    rawMessage: record.rawMessage,
    properties: { ...record.properties },
  };
}

const CASES: [string, string, Record<string, unknown>][] = [
  [
    "the call line of a successful call",
    "{method} {status} in {durationMs}ms peer={peer} in={messagesIn} out={messagesOut} " +
    "id={requestId} sub={sub}",
    {
      method: "/helloworld.Greeter/SayHello",
      status: "OK",
      durationMs: 0.25,
      peer: "127.0.0.1:5000",
      messagesIn: 1,
      messagesOut: 1,
      requestId: "0b9e6a5e-1d2f-4c1e-9d7a-3f0e8b2c4a11",
      sub: undefined,
      ended: "status",
    },
  ],
  ["a template without placeholders", "server started", {}],
  ["a template that is one placeholder", "{text}", { text: "a\nb" }],
  ["placeholders back to back", "{a}{b}", { a: 1, b: null }],
  ["a missing property", "sub={sub}", {}],
  ["an object value", "peer {peer}", { peer: { host: "::1", port: 1 } }],
  ["an empty template", "", { extra: true }],
];

for (const [what, template, properties] of CASES) {
  Deno.test(`a compiled template emits what logger.info emits for ${what}`, async () => {
    const compiled = compileLogTemplate(template);
    const records = await withRecords(() => {
      getLogger(["test", "call"]).info(template, properties);
      compiled.emit(getLogger(["test", "call"]), "info", properties);
    });
    assert.equal(records.length, 2);
    assert.deepEqual(content(records[1]), content(records[0]));
  });
}

Deno.test("a compiled template builds nothing for a level the logger filters out", async () => {
  const properties = {
    get sub(): string {
      throw new Error("a filtered-out record must not read its properties");
    },
  };
  const records = await withRecords(() => {
    compileLogTemplate<typeof properties>("sub={sub}").emit(
      getLogger(["test"]),
      "debug",
      properties,
    );
  });
  assert.deepEqual(records, []);
});

Deno.test("a compiled template keeps the level it is given", async () => {
  const records = await withRecords(() => {
    compileLogTemplate("x").emit(getLogger(["test"]), "warning", {});
  });
  assert.equal(records[0].level, "warning");
});

for (const template of ["{{literal}}", "{*}", "{user.name}", "{ spaced }", "a } b", "{a"]) {
  Deno.test(`compileLogTemplate refuses ${JSON.stringify(template)}, which logtape reads differently`, () => {
    assert.throws(() => compileLogTemplate(template), TypeError);
  });
}
