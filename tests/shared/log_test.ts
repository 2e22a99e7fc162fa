import assert from "node:assert/strict";
import { configure, getLogger, getTextFormatter, type LogRecord, reset } from "@logtape/logtape";
import {
  createBatchingSink,
  FLUSH_INTERVAL_MS,
  greeterLogger,
  renderBareValue,
  setupLogging,
} from "../../lib/shared/log.ts";
import { recordingStream } from "../_helpers/record_logs.ts";

function record(message: string): LogRecord {
  return {
    category: ["greeter", "test"],
    level: "info",
    message: [message],
    rawMessage: message,
    timestamp: 0,
    properties: {},
  };
}

const formatter = (r: LogRecord) => `${r.message.join("")}\n`;
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

Deno.test("batching sink writes one turn's records with one write, in order", async () => {
  const { stream, chunks } = recordingStream();
  await using sink = createBatchingSink(stream, formatter, { flushIntervalMs: 0 });
  sink(record("a"));
  sink(record("b"));
  sink(record("c"));
  assert.deepEqual(chunks, [], "nothing is written in the caller's turn");
  await tick();
  assert.deepEqual(chunks, ["a\nb\nc\n"]);
});

Deno.test("batching sink gathers records over several turns for its flush interval", async () => {
  const { stream, chunks } = recordingStream();
  await using sink = createBatchingSink(stream, formatter, { flushIntervalMs: 50 });
  sink(record("a"));
  await tick();
  sink(record("b"));
  await tick();
  assert.deepEqual(chunks, [], "nothing is written before the interval ends");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(chunks, ["a\nb\n"], "one write for the whole interval");
  sink(record("c"));
  assert.deepEqual(chunks, ["a\nb\n"]);
});

Deno.test("batching sink writes a record as it was when logged, without logtape's copy", async () => {
  const { stream, chunks } = recordingStream();
  const sink = createBatchingSink(stream, (r) => `${r.properties.name}\n`, { flushIntervalMs: 0 });
  await configure({
    reset: true,
    sinks: { batch: sink },
    loggers: [
      { category: ["t"], lowestLevel: "info", sinks: ["batch"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    const properties = { name: "before" };
    getLogger(["t"]).info("{name}", properties);
    properties.name = "after";
    await tick();
  } finally {
    await reset(); // disposes the sink
  }
  assert.deepEqual(chunks, ["before\n"]);
  assert.equal(
    (sink as unknown as Record<symbol, unknown>)[
      Symbol.for("LogTape.sinkSnapshotPolicy.immediate")
    ],
    true,
    "logtape is told not to copy the properties",
  );
});

Deno.test("batching sink writes within its default interval", async () => {
  const { stream, chunks } = recordingStream();
  await using sink = createBatchingSink(stream, formatter);
  sink(record("soon"));
  await new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS + 20));
  assert.deepEqual(chunks, ["soon\n"]);
});

Deno.test("batching sink drops the oldest records past its bound and says how many", async () => {
  const { stream, chunks } = recordingStream();
  await using sink = createBatchingSink(stream, formatter, {
    maxBufferedRecords: 2,
    flushIntervalMs: 0,
  });
  for (const m of ["1", "2", "3", "4", "5"]) sink(record(m));
  await tick();
  assert.deepEqual(chunks, [
    "3 log records dropped: the log output could not keep up\n4\n5\n",
  ]);
});

Deno.test("batching sink writes what is queued on dispose and leaves the stream open", async () => {
  const { stream, chunks } = recordingStream();
  {
    await using sink = createBatchingSink(stream, formatter);
    sink(record("last words"));
  }
  assert.deepEqual(chunks, ["last words\n"]);
  const writer = stream.getWriter(); // would throw if the sink still held or closed it
  await writer.write(new TextEncoder().encode("after\n"));
  writer.releaseLock();
  assert.deepEqual(chunks, ["last words\n", "after\n"]);
});

const VALUES: [string, unknown, string][] = [
  ["a plain string without quotes", "/helloworld.Greeter/SayHello", "/helloworld.Greeter/SayHello"],
  ["a string with a line break escaped", "a\nb", "a\\nb"],
  ["a number as written", 12.5, "12.5"],
  ["negative zero", -0, "-0"],
  ["a boolean", true, "true"],
  ["undefined", undefined, "undefined"],
  ["null", null, "null"],
  ["an object through the inspector", { a: 1 }, "inspected"],
];

for (const [what, value, expected] of VALUES) {
  Deno.test(`text lines render ${what}`, () => {
    assert.equal(renderBareValue(value, () => "inspected"), expected);
  });
}

Deno.test("text lines render like logtape's bare values for simple values", () => {
  const ours = getTextFormatter({ value: renderBareValue });
  const theirs = getTextFormatter({ value: "bare" });
  const r: LogRecord = {
    ...record(""),
    message: ["", "ok", " in ", 1.25, "ms ", true, ""],
    rawMessage: "{s} in {n}ms {b}",
  };
  assert.equal(ours(r), theirs(r));
});

Deno.test("setupLogging writes JSON lines with flattened properties when asked", async () => {
  const { stream, chunks } = recordingStream();
  {
    await using _logging = await setupLogging({ format: "json", stream });
    greeterLogger("test").info("call {method}", { method: "/x/Y", sub: "alice" });
  }
  const line = JSON.parse(chunks.join("").trim());
  assert.equal(line.message, "call /x/Y"); // rendered, as the text format shows it
  assert.equal(line.template, "call {method}"); // and the template and values as fields
  assert.equal(line.method, "/x/Y");
  assert.equal(line.sub, "alice");
  assert.equal(line.level, "INFO");
});

Deno.test("setupLogging drops lines below the configured level", async () => {
  const { stream, chunks } = recordingStream();
  {
    await using _logging = await setupLogging({ level: "warning", stream });
    greeterLogger("test").info("quiet");
    greeterLogger("test").warn("loud");
  }
  const text = chunks.join("");
  assert.ok(!text.includes("quiet"));
  assert.match(text, /\[WRN\] greeter·test: loud/);
});

Deno.test("setupLogging marks every line of a worker with its index, in text and in JSON", async (t) => {
  await t.step("text lines end with worker=N", async () => {
    const { stream, chunks } = recordingStream();
    {
      await using _logging = await setupLogging({ stream, worker: 3 });
      greeterLogger("test").info("call {method}", { method: "/x/Y" });
      greeterLogger("test").warn("second");
    }
    const lines = chunks.join("").split("\n").filter((line) => line !== "");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /\[INF\] greeter·test: call \/x\/Y worker=3$/);
    assert.match(lines[1], /\[WRN\] greeter·test: second worker=3$/);
  });
  await t.step("JSON lines carry a worker field", async () => {
    const { stream, chunks } = recordingStream();
    {
      await using _logging = await setupLogging({ format: "json", stream, worker: 0 });
      greeterLogger("test").info("call {method}", { method: "/x/Y" });
    }
    const line = JSON.parse(chunks.join("").trim());
    assert.equal(line.worker, 0);
    assert.equal(line.message, "call /x/Y");
    assert.equal(line.method, "/x/Y");
  });
  await t.step("a single server's lines have no worker field", async () => {
    const { stream, chunks } = recordingStream();
    {
      await using _logging = await setupLogging({ format: "json", stream });
      greeterLogger("test").info("call");
    }
    assert.equal(JSON.parse(chunks.join("").trim()).worker, undefined);
    const text = recordingStream();
    {
      await using _logging = await setupLogging({ stream: text.stream });
      greeterLogger("test").info("call");
    }
    assert.doesNotMatch(text.chunks.join(""), /worker=/);
  });
});
