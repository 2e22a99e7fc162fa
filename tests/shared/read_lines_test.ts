/** Lines of a byte stream, whatever the chunks. */
import assert from "node:assert/strict";
import { readLines } from "../../lib/shared/read_lines.ts";

/** A closed stream of `chunks`: text, or raw bytes. */
function streamOf(chunks: (string | number[])[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(
          typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk),
        );
      }
      controller.close();
    },
  });
}

const CASES: [string, (string | number[])[], string[]][] = [
  ["yields one line per newline", ["a\nb\n"], ["a", "b"]],
  ["joins a line split across chunks", ['{"wor', 'ker":0}\n'], ['{"worker":0}']],
  ["keeps empty lines", ["a\n\nb\n"], ["a", "", "b"]],
  ["holds back a last line without its newline", ["a\nhalf"], ["a"]],
  ["decodes a character split across chunks", [[0xc3], [0xa9, 0x0a]], ["é"]],
];

for (const [name, chunks, expected] of CASES) {
  Deno.test(`read lines ${name}`, async () => {
    const lines: string[] = [];
    for await (const line of readLines(streamOf(chunks))) lines.push(line);
    assert.deepEqual(lines, expected);
  });
}
