/**
 * The child-process JSON log reader: lines split across chunks, lines that are
 * not JSON, waits that look forward or back, and every wait bounded.
 */
import assert from "node:assert/strict";
import { type JsonLogReader, jsonLogReader } from "../../lib/shared/json_log_reader.ts";

/** A stream of `chunks`; left open (until cancelled) when `open`. */
function streamOf(chunks: string[], open = false): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (!open) controller.close();
    },
  });
}

/** An error's message up to the lines it lists. */
const firstPart = (error: Error) => error.message.split(";")[0];

const CHUNKS = ['{"message":"Greeter listen', 'ing","port":1}\n', "Task server deno run\n"]
  .concat(['{"message":"/x OK","method":"/x"}\n{"message":"shutdown graceful"}']);

const CASES: [string, boolean, (log: JsonLogReader) => Promise<unknown>, unknown][] = [
  [
    "next joins a line split across chunks and parses it",
    false,
    (log) => log.next(/^Greeter listening/),
    { message: "Greeter listening", port: 1 },
  ],
  [
    "a line that is not JSON is kept as its message",
    false,
    (log) => log.next(/^Task/),
    { message: "Task server deno run" },
  ],
  [
    "the last line is kept without its newline",
    false,
    (log) => log.next(/^shutdown/),
    { message: "shutdown graceful" },
  ],
  [
    "a test of the whole record matches fields other than the message",
    false,
    (log) => log.next((record) => record.method === "/x"),
    { message: "/x OK", method: "/x" },
  ],
  [
    "next looks only past the line it returned last",
    false,
    async (log) => {
      await log.next(/^shutdown/);
      return await log.next(/listening/).catch((error) => firstPart(error));
    },
    "no log line /listening/ (the stream ended)",
  ],
  [
    "find may match a line next has passed",
    false,
    async (log) => {
      await log.next(/^shutdown/);
      return await log.find(/listening/);
    },
    { message: "Greeter listening", port: 1 },
  ],
  [
    "a wait on a stream that stays open gives up after its bound",
    true,
    (log) => log.next(/never/, 50).catch((error) => firstPart(error)),
    "no log line /never/ (timed out after 50 ms)",
  ],
];

for (const [name, open, act, expected] of CASES) {
  Deno.test(`json log reader: ${name}`, async () => {
    const log = jsonLogReader(streamOf(CHUNKS, open));
    try {
      assert.deepEqual(await act(log), expected);
    } finally {
      await log.cancel();
    }
  });
}

Deno.test("json log reader: keep drops the lines it rejects unparsed", async () => {
  const log = jsonLogReader(streamOf(CHUNKS), { keep: (line) => line.startsWith("{") });
  await log.ended;
  assert.deepEqual(log.logs.map((record) => record.message), [
    "Greeter listening",
    "/x OK",
    "shutdown graceful",
  ]);
  assert.equal(log.lines.length, 3);
});
