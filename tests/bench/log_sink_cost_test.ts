import assert from "node:assert/strict";
import { compareLogSinks } from "../../lib/bench/log_sink_cost.ts";

Deno.test("a short log-sink comparison measures both sinks each round and gives their median ratio", async () => {
  const lines: string[] = [];
  const cost = await compareLogSinks({
    rounds: 2,
    lines: 256,
    file: "/dev/null",
    print: (line) => lines.push(line),
  });
  assert.equal(cost.batching.length, 2);
  assert.equal(cost.perLine.length, 2);
  for (const figure of [...cost.batching, ...cost.perLine]) assert.ok(figure > 0, String(figure));
  assert.ok(Number.isFinite(cost.medianRatio) && cost.medianRatio > 0);
  assert.equal(lines.length, 4, lines.join("\n"));
  assert.match(lines[0], /^# log sink CPU per line, 256 lines per run into \/dev\/null, 2 rounds$/);
  assert.match(lines[3], /^median batching\/logtape-stream CPU per line: x[\d.]+/);
});
