import assert from "node:assert/strict";
import { formatComparison, formatRatio } from "../../lib/bench/bench_comparison.ts";
import { parseBenchJson } from "../../lib/bench/bench_json_parser.ts";
import { toJson } from "../../lib/bench/bench_json_writer.ts";
import { docWith, META, sampleResults } from "../fixtures/bench_results.ts";

Deno.test("formatRatio divides B by A and refuses a zero baseline", async (t) => {
  const cases: { name: string; a: number | null; b: number | null; expected: string }[] = [
    { name: "B doing twice A's calls reads 2.00x", a: 1000, b: 2000, expected: "2.00x" },
    { name: "B doing half A's calls reads 0.50x", a: 2000, b: 1000, expected: "0.50x" },
    { name: "equal figures read 1.00x", a: 3, b: 3, expected: "1.00x" },
    { name: "a zero baseline reads n/a", a: 0, b: 5, expected: "n/a" },
    { name: "a missing figure reads n/a", a: null, b: 5, expected: "n/a" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(formatRatio(c.a, c.b), c.expected));
  }
});

Deno.test("formatComparison prints B/A ratios with the right verdicts", () => {
  const a = docWith({
    unary: { callsPerSecond: 1000, p50: 2 },
    "client-stream": { callsPerSecond: 50, p50: 4 },
  });
  const b = docWith({
    unary: { callsPerSecond: 2000, p50: 1 },
    bidi: { callsPerSecond: 10, p50: 9 },
  });
  const text = formatComparison(a, b, { labelA: "main.json", labelB: "pr.json" });
  assert.match(text, /^Bench comparison: A = main\.json, B = pr\.json\n/);
  assert.match(text, /Ratios are B\/A/);
  const unary = text.slice(text.indexOf("\nunary\n"));
  assert.match(unary, /calls\/s +1000\.0 +2000\.0 +2\.00x {2}better/);
  assert.match(unary, /latency p50 ms +2\.00 +1\.00 +0\.50x {2}better/);
  assert.match(unary, /non-OK calls +0 +0\n/);
  assert.match(text, /Only in A \(main\.json\): client-stream/);
  assert.match(text, /Only in B \(pr\.json\): bidi/);
  assert.doesNotMatch(text, /^client-stream$|^bidi$/m, "one-sided patterns get no table");
});

Deno.test("formatComparison calls a slower candidate worse and a small change the same", () => {
  const a = docWith({ unary: { callsPerSecond: 1000, p50: 1 } });
  const b = docWith({ unary: { callsPerSecond: 980, p50: 3 } });
  const text = formatComparison(a, b);
  assert.match(text, /calls\/s .* 0\.98x {2}~same/);
  assert.match(text, /latency p50 ms .* 3\.00x {2}worse/);
});

Deno.test("formatComparison notes differing settings and disjoint pattern sets", () => {
  const a = docWith({ unary: { callsPerSecond: 1, p50: 1 } });
  const b = docWith({ bidi: { callsPerSecond: 1, p50: 1 } });
  b.meta.concurrency = 64;
  const text = formatComparison(a, b);
  assert.match(text, /note: concurrency differs \(A 8, B 64\)/);
  assert.match(text, /No pattern appears in both files\./);
  assert.match(text, /Only in A \(A\): unary/);
  assert.match(text, /Only in B \(B\): bidi/);
});

Deno.test("formatComparison works on documents read back from JSON", () => {
  const a = parseBenchJson(toJson(sampleResults(), META));
  const b = parseBenchJson(toJson(sampleResults(), META));
  const text = formatComparison(a, b);
  assert.match(text, /server-stream\n/);
  assert.match(text, /first msg p50 ms .* 1\.00x {2}~same/);
  assert.doesNotMatch(text, /note:/);
});
