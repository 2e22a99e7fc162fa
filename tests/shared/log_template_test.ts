/**
 * A compiled template emits the record logtape's own `logger.info` builds
 * (message parts, properties, category, level), so every formatter writes
 * the same line from it, whether it goes through logtape's dispatch or
 * straight to the batching sink.
 */
import { configure, getLogger, type Logger, type LogRecord, reset } from "@logtape/logtape";
import assert from "node:assert/strict";
import { createBatchingSink, greeterLogger, setupLogging } from "../../lib/shared/log.ts";
import { compileLogTemplate, isLogged } from "../../lib/shared/log_template.ts";
import { recordingStream } from "../_helpers/record_logs.ts";

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

const lines = (text: string) => text.split("\n").filter((l) => l !== "");
/** The lines of `text`, each without its timestamp (text lines: its first 28 characters). */
const untimed = (text: string) =>
  lines(text).map((l) =>
    l.startsWith("{") ? JSON.stringify({ ...JSON.parse(l), "@timestamp": 0 }) : l.slice(28)
  );

const CALL = compileLogTemplate<{ method: string; n: number }>("call {method} n={n}");

Deno.test("a compiled template writes through setupLogging's sink what logger.info writes, every time", async () => {
  // After the first record the template goes straight to the batching sink
  // (lib/shared/_log_routes.ts); the lines must not change.
  for (const format of ["text", "json"] as const) {
    const ours = recordingStream();
    {
      await using _logging = await setupLogging({ stream: ours.stream, format });
      for (let n = 0; n < 5; n++) CALL.emit(greeterLogger("t"), "info", { method: "/x/Y", n });
      CALL.emit(greeterLogger("t"), "debug", { method: "/x/Y", n: 99 }); // below the level
    }
    const theirs = recordingStream();
    {
      await using _logging = await setupLogging({ stream: theirs.stream, format });
      for (let n = 0; n < 5; n++) greeterLogger("t").info(CALL.template, { method: "/x/Y", n });
    }
    assert.equal(lines(ours.text()).length, 5, format);
    assert.deepEqual(untimed(ours.text()), untimed(theirs.text()), format);
  }
});

Deno.test("a compiled template follows a new configuration: its level and its stream", async () => {
  const first = recordingStream();
  {
    await using _logging = await setupLogging({ stream: first.stream, level: "info" });
    CALL.emit(greeterLogger("t"), "info", { method: "/a", n: 1 });
    CALL.emit(greeterLogger("t"), "info", { method: "/a", n: 2 });
  }
  const second = recordingStream();
  {
    await using _logging = await setupLogging({ stream: second.stream, level: "error" });
    CALL.emit(greeterLogger("t"), "info", { method: "/b", n: 3 }); // now below the level
    CALL.emit(greeterLogger("t"), "error", { method: "/b", n: 4 });
  }
  const third = recordingStream();
  {
    await using _logging = await setupLogging({ stream: third.stream, level: "debug" });
    CALL.emit(greeterLogger("t"), "info", { method: "/c", n: 5 });
  }
  assert.deepEqual(untimed(first.text()), [
    "[INF] greeter·t: call /a n=1",
    "[INF] greeter·t: call /a n=2",
  ]);
  assert.deepEqual(untimed(second.text()), ["[ERR] greeter·t: call /b n=4"]);
  assert.deepEqual(untimed(third.text()), ["[INF] greeter·t: call /c n=5"]);
});

Deno.test("a compiled template goes through logtape's dispatch when a sink, a filter or a logger needs it", async (t) => {
  const emitTwice = (logger: Logger) => {
    CALL.emit(logger, "info", { method: "/x", n: 1 });
    CALL.emit(logger, "info", { method: "/x", n: 2 });
  };
  await t.step("a sink that is not a batching sink gets every record", async () => {
    const records = await withRecords(() => emitTwice(getLogger(["test"])));
    assert.deepEqual(records.map((r) => r.properties.n), [1, 2]);
  });
  await t.step("a filter sees every record", async () => {
    const { stream, text } = recordingStream();
    const sink = createBatchingSink(stream, (r) => `${r.properties.n}\n`, { flushIntervalMs: 0 });
    await configure({
      reset: true,
      sinks: { batch: sink },
      filters: { odd: (r) => (r.properties.n as number) % 2 === 1 },
      loggers: [
        { category: ["test"], lowestLevel: "info", sinks: ["batch"], filters: ["odd"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
    try {
      for (let n = 1; n <= 4; n++) CALL.emit(getLogger(["test"]), "info", { method: "/x", n });
    } finally {
      await reset();
    }
    assert.equal(text(), "1\n3\n");
  });
  await t.step("a logger with properties of its own adds them to every record", async () => {
    const { stream, text } = recordingStream();
    {
      await using _logging = await setupLogging({ stream, format: "json" });
      emitTwice(greeterLogger("t").with({ zone: "z1" }));
    }
    const records = lines(text()).map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.n, r.zone]), [[1, "z1"], [2, "z1"]]);
  });
});

Deno.test("isLogged answers what logger.isEnabledFor answers, before and after a route is learned", async () => {
  const levels = ["trace", "debug", "info", "warning", "error", "fatal"] as const;
  for (const configured of ["debug", "warning"] as const) {
    const { stream } = recordingStream();
    await using _logging = await setupLogging({ stream, level: configured });
    const logger = greeterLogger("t", "enabled");
    for (const round of ["before", "after"]) {
      for (const level of levels) {
        assert.equal(
          isLogged(logger, level),
          logger.isEnabledFor(level),
          `${level} at ${configured}, ${round} a line`,
        );
      }
      for (const level of levels) CALL.emit(logger, level, { method: "/x", n: 0 });
    }
  }
  assert.equal(isLogged(greeterLogger("t"), "fatal"), false, "nothing is logged once reset");
});
