import assert from "node:assert/strict";
import { measureStreamsMemory } from "../../lib/bench/streams_memory.ts";

Deno.test("a small streams-memory run reports the server's memory before, during and after each cycle", async () => {
  const lines: string[] = [];
  const cycles = await measureStreamsMemory({
    streams: 20,
    channels: 2,
    cycles: 2,
    holdMs: 50,
    print: (line) => lines.push(line),
  });
  assert.equal(cycles.length, 2);
  for (const { before, during, after } of cycles) {
    for (const stats of [before, during, after]) assert.ok(stats.rss > 0 && stats.heapUsed > 0);
    assert.ok(after.calls > before.calls, "the server counted the streams");
  }
  assert.equal(cycles[1].after.calls - cycles[0].after.calls, 20, "one call per stream per cycle");
  assert.match(lines[0], /^# 20 concurrent bidi streams over 2 connections, 2 cycles/);
  assert.match(lines[1], /^cycle 1: RSS [\d.]+ MB -> [\d.]+ MB open -> [\d.]+ MB closed/);
  assert.match(lines[3], /^after close, cycle 1 -> 2: RSS/);
});
