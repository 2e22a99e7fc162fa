import assert from "node:assert/strict";
import type { Comparison, RoundFigures } from "../../lib/bench/compare_servers.ts";
import { formatRuntimesTables, fullToDeno, tableRows } from "../../lib/bench/runtimes_table.ts";

/** Figures of one round; the load generator spends 50 µs a call. */
function figures(callsPerSecond: number, serverCpuUsPerCall: number): RoundFigures {
  return {
    callsPerSecond,
    messagesPerSecond: 2 * callsPerSecond,
    serverCpuUsPerCall,
    clientCpuUsPerCall: 50,
    serverCpuShare: callsPerSecond * serverCpuUsPerCall / 1e6,
    clientCpuShare: callsPerSecond * 50 / 1e6,
    failures: 0,
  };
}

/** Node does 1000 calls/s at 100 µs, bare Deno 800 at 125 µs, the full stack 400 at 250 µs. */
const UNARY: Comparison = {
  rounds: {
    "node-bare": [figures(1000, 100), figures(1000, 100)],
    "deno-bare": [figures(800, 125), figures(800, 125)],
    "full": [figures(400, 250), figures(400, 250)],
  },
  medianThroughputRatio: { "deno-bare": 0.8, "full": 0.4 },
  medianMessagesRatio: { "deno-bare": 0.8, "full": 0.4 },
  medianCpuRatio: { "deno-bare": 1.25, "full": 2.5 },
};

Deno.test("runtimes table has one row per variant with medians, ratios to Node.js and how busy each side was", () => {
  assert.deepEqual(tableRows("unary", UNARY), [
    "| unary | Node.js, grpc-js, bare | 1,000 | 1.00 | 2,000 | 1.00 | 100 µs | 1.00 | 10 % / 5 % |",
    "| unary | Deno, grpc-js, bare | 800 | 0.80 | 1,600 | 0.80 | 125 µs | 1.25 | 10 % / 4 % |",
    "| unary | Deno, this project (TLS + JWT + logging + metrics) | 400 | 0.40 | 800 | 0.40 | 250 µs | 2.50 | 10 % / 2 % |",
  ]);
});

Deno.test("runtimes table gives the full stack's ratios to bare Deno", () => {
  assert.equal(fullToDeno(UNARY, "callsPerSecond"), 0.5);
  assert.equal(fullToDeno(UNARY, "serverCpuUsPerCall"), 2);
});

Deno.test("runtimes tables list every pattern in run order, in both tables", () => {
  const text = formatRuntimesTables(new Map([["bidi", UNARY], ["unary", UNARY]]));
  const lines = text.split("\n");
  assert.deepEqual(
    lines.filter((line) => /^\| (bidi|unary) \| \d/.test(line)),
    ["| bidi | 0.500 | 0.500 | 2.000 |", "| unary | 0.500 | 0.500 | 2.000 |"],
  );
  assert.equal(lines.filter((line) => line.startsWith("| bidi | ")).length, 4);
  assert.ok(lines.indexOf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |") > 0);
});
