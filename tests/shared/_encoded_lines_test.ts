/**
 * The batching sink's queue hands out exactly the UTF-8 of the lines it
 * kept, in order, whatever it dropped and however far its buffer grew.
 */
import assert from "node:assert/strict";
import { EncodedLines } from "../../lib/shared/_encoded_lines.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("encoded lines hand out the UTF-8 of the queued lines, in order", () => {
  const lines = new EncodedLines();
  const texts = ["a\n", "2026 [INF] greeter·server·call: ok\n", "Grüße, 世界 🙂\n", "\n"];
  for (const text of texts) lines.push(text);
  assert.equal(lines.length, 4);
  const batch = lines.take();
  assert.deepEqual(batch, new TextEncoder().encode(texts.join("")));
  assert.equal(lines.length, 0);
  assert.equal(lines.take().length, 0, "an empty queue hands out no bytes");
});

Deno.test("encoded lines drop the oldest line first", () => {
  const lines = new EncodedLines();
  for (const text of ["1\n", "2·\n", "3\n"]) lines.push(text);
  lines.dropOldest();
  assert.equal(lines.length, 2);
  assert.equal(decode(lines.take()), "2·\n3\n");
  lines.dropOldest(); // nothing queued: nothing happens
  assert.equal(lines.length, 0);
});

Deno.test("encoded lines keep a batch handed out unchanged while the next one fills", () => {
  const lines = new EncodedLines();
  lines.push("first\n");
  const first = lines.take();
  lines.push("second\n");
  lines.push("third\n");
  assert.equal(decode(first), "first\n");
  assert.equal(decode(lines.take()), "second\nthird\n");
});

Deno.test("encoded lines match a plain queue through growth, long lines and many drops", () => {
  // A bounded queue like the sink's: push, drop the oldest past the bound,
  // take now and then; the bytes must equal those of a plain array of strings.
  const lines = new EncodedLines();
  let model: string[] = [];
  const taken: [Uint8Array, string][] = [];
  const bound = 1500;
  let seed = 11;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let i = 0; i < 40_000; i++) {
    const long = next(500) === 0 ? "x·".repeat(50_000 + next(100_000)) : "";
    const text = `${i} ${"é".repeat(next(40))}${long} 🙂\n`;
    if (lines.length >= bound) {
      lines.dropOldest();
      model.shift();
    }
    lines.push(text);
    model.push(text);
    assert.equal(lines.length, model.length);
    if (next(4000) === 0 || i === 39_999) {
      const batch = lines.take();
      assert.equal(decode(batch), model.join(""), `batch taken at line ${i}`);
      taken.push([batch, model.join("")]);
      model = [];
    }
  }
  // A stream may keep its chunks: later batches never wrote over earlier ones.
  for (const [batch, text] of taken) assert.equal(decode(batch), text);
});

Deno.test("encoded lines leave every batch handed out as it was, across slabs", () => {
  const lines = new EncodedLines();
  const taken: [Uint8Array, string][] = [];
  for (let batch = 0; batch < 400; batch++) {
    let text = "";
    for (let i = 0; i < 50; i++) {
      const line = `${batch}/${i} [INF] greeter·server·call: ${"x".repeat(i * 3)}\n`;
      lines.push(line);
      text += line;
    }
    taken.push([lines.take(), text]);
  }
  for (const [bytes, text] of taken) assert.equal(decode(bytes), text);
});

Deno.test("encoded lines write a line given as head and body as the same bytes as the whole line", () => {
  // Heads repeat (as the formatter's do within a millisecond) and change;
  // whole lines, split lines and drops interleave.
  const lines = new EncodedLines();
  let model: string[] = [];
  let seed = 5;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let head = "2026-11-29 16:05:09.001 +00 [INF] greeter·server·call: ";
  for (let i = 0; i < 20_000; i++) {
    if (next(7) === 0) head = `2026-11-29 16:05:09.${i % 1000} +00 [WRN] a·b: `;
    const body = `line ${i} ${"é".repeat(next(3))}${next(200) === 0 ? "x".repeat(300_000) : ""}\n`;
    if (next(3) === 0) lines.push(head + body);
    else lines.pushSplit(head, body);
    model.push(head + body);
    if (lines.length > 500) {
      lines.dropOldest();
      model.shift();
    }
    if (next(1000) === 0 || i === 19_999) {
      assert.equal(decode(lines.take()), model.join(""), `batch taken at line ${i}`);
      model = [];
    }
  }
});
