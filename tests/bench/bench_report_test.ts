import assert from "node:assert/strict";
import { Histogram } from "../../lib/bench/histogram.ts";
import type { LoadResult } from "../../lib/bench/load_runner.ts";
import {
  BENCH_SCHEMA,
  type BenchJson,
  BenchJsonError,
  type BenchMeta,
  formatBenchJson,
  formatComparison,
  formatRatio,
  formatReport,
  parseBenchJson,
  toBenchJson,
  toJson,
} from "../../lib/bench/bench_report.ts";

const META: BenchMeta = {
  target: "localhost:50051",
  concurrency: 8,
  channels: 2,
  durationMs: 10_000,
  warmupCalls: 100,
  date: "2025-01-02T03:04:05.000Z",
  denoVersion: "2.9.3",
  gitCommit: "abc1234",
};

function histogramOf(values: number[]): Histogram {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h;
}

/** A LoadResult as the runner would build it, from plain figures. */
function resultOf(options: {
  callsPerSecond: number;
  latencies: number[];
  firstMessages?: number[];
  messagesPerCall?: number;
  statuses?: Record<string, number>;
  errors?: LoadResult["errors"];
  ratePerSecond?: number;
  serviceTimes?: number[];
}): LoadResult {
  const calls = options.latencies.length;
  const messages = calls * (options.messagesPerCall ?? 1);
  const elapsedMs = (calls / options.callsPerSecond) * 1000;
  const latency = histogramOf(options.latencies);
  const serviceTime = histogramOf(options.serviceTimes ?? options.latencies);
  const firstMessage = histogramOf(options.firstMessages ?? []);
  return {
    calls,
    messages,
    elapsedMs,
    callsPerSecond: options.callsPerSecond,
    messagesPerSecond: messages / (elapsedMs / 1000),
    latency,
    latencySummary: latency.summary(),
    serviceTime,
    serviceTimeSummary: serviceTime.summary(),
    firstMessage,
    firstMessageSummary: firstMessage.count > 0 ? firstMessage.summary() : undefined,
    statuses: options.statuses ?? { OK: calls },
    errors: options.errors ?? [],
    errorsOmitted: 0,
    warmupCalls: 100,
    concurrency: 8,
    maxInFlight: 8,
    targetRatePerSecond: options.ratePerSecond,
    scheduleLagMs: options.ratePerSecond === undefined ? undefined : { max: 3.25, mean: 0.5 },
    aborted: false,
    notStarted: 0,
  };
}

const uniform = (from: number, to: number, n = 1000) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

function sampleResults(): Record<string, LoadResult> {
  return {
    unary: resultOf({
      callsPerSecond: 1000,
      latencies: uniform(0.5, 20),
      statuses: { OK: 990, UNAVAILABLE: 10 },
      errors: [{ status: "UNAVAILABLE", message: "connection refused", count: 10 }],
    }),
    server_stream: resultOf({
      callsPerSecond: 200,
      latencies: uniform(5, 50),
      firstMessages: uniform(1, 4),
      messagesPerCall: 10,
    }),
  };
}

function docWith(patterns: Record<string, { callsPerSecond: number; p50: number }>): BenchJson {
  const results: Record<string, LoadResult> = {};
  for (const [name, p] of Object.entries(patterns)) {
    results[name] = resultOf({
      callsPerSecond: p.callsPerSecond,
      latencies: [p.p50, p.p50, p.p50],
    });
  }
  return toBenchJson(results, META);
}

Deno.test("bench JSON round-trips through parseBenchJson unchanged", () => {
  const results = sampleResults();
  const text = toJson(results, META);
  assert.ok(text.endsWith("}\n"));
  const parsed = parseBenchJson(text, "run.json");
  assert.deepEqual(parsed, toBenchJson(results, META));
  assert.equal(parsed.schema, BENCH_SCHEMA);
  assert.deepEqual(Object.keys(parsed.patterns), ["unary", "server_stream"], "run order is kept");
});

Deno.test("bench JSON has fixed units, rounded figures and every key present", () => {
  const doc = toBenchJson(sampleResults(), { target: "h:1", concurrency: 1, date: META.date });
  assert.deepEqual(doc.meta, {
    target: "h:1",
    concurrency: 1,
    channels: null,
    durationMs: null,
    totalCalls: null,
    ratePerSecond: null,
    warmupCalls: null,
    warmupMs: null,
    date: META.date,
    denoVersion: Deno.version.deno,
    gitCommit: null,
  });
  const unary = doc.patterns.unary;
  assert.equal(unary.callsPerSecond, 1000);
  assert.equal(unary.latencyMs?.min, 0.5);
  assert.equal(unary.latencyMs?.max, 20);
  assert.equal(unary.firstMessageMs, null, "a unary pattern has no time to first message");
  assert.equal(unary.targetRatePerSecond, null);
  assert.equal(unary.scheduleLagMs, null);
  assert.deepEqual(unary.statuses, { OK: 990, UNAVAILABLE: 10 });
  assert.equal(unary.latencyBuckets.reduce((sum, [, , n]) => sum + n, 0), 1000);
  assert.equal(doc.patterns.server_stream.firstMessageMs?.max, 4);
  assert.equal(doc.patterns.server_stream.messagesPerSecond, 2000);
});

Deno.test("bench JSON of a pattern with no completed call uses null figures", () => {
  const empty = resultOf({ callsPerSecond: 1, latencies: [] });
  const text = toJson({ unary: { ...empty, callsPerSecond: 0, messagesPerSecond: 0 } }, META);
  assert.ok(!text.includes("NaN"));
  const doc = parseBenchJson(text);
  assert.equal(doc.patterns.unary.latencyMs, null);
  assert.match(formatBenchJson(doc), /latency ms {4}-/);
});

Deno.test("parseBenchJson explains what is wrong with a file it cannot read", async (t) => {
  const good = JSON.parse(toJson(sampleResults(), META));
  const cases: { name: string; text: string; message: RegExp }[] = [
    {
      name: "text that is not JSON is refused",
      text: "{oops",
      message: /^x\.json: not valid JSON/,
    },
    {
      name: "a JSON array is refused",
      text: "[]",
      message: /expected a JSON object, got an array/,
    },
    {
      name: "a file without a schema is called out as not a bench file",
      text: JSON.stringify({ meta: {} }),
      message: /not a greeter bench file \(no "schema" field; expected "greeter-bench\/1"\)/,
    },
    {
      name: "another schema version is refused by name",
      text: JSON.stringify({ ...good, schema: "greeter-bench/2" }),
      message: /unsupported schema "greeter-bench\/2" \(this version reads "greeter-bench\/1"\)/,
    },
    {
      name: "a missing meta block is named",
      text: JSON.stringify({ schema: BENCH_SCHEMA, patterns: {} }),
      message: /x\.json: meta: expected an object, got nothing \(the field is missing\)/,
    },
    {
      name: "a figure of the wrong type is named with its path",
      text: JSON.stringify({
        ...good,
        patterns: { ...good.patterns, unary: { ...good.patterns.unary, callsPerSecond: "fast" } },
      }),
      message: /x\.json: patterns\.unary\.callsPerSecond: expected a number, got a string/,
    },
    {
      name: "a bad error entry is named with its index",
      text: JSON.stringify({
        ...good,
        patterns: { ...good.patterns, unary: { ...good.patterns.unary, errors: [{ status: 1 }] } },
      }),
      message: /patterns\.unary\.errors\[0\]\.status: expected a string, got a number/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => parseBenchJson(c.text, "x.json"), (error: unknown) => {
        assert.ok(error instanceof BenchJsonError);
        assert.match(error.message, c.message);
        return true;
      });
    });
  }
});

Deno.test("formatReport prints one readable block per pattern", () => {
  const text = formatReport(sampleResults(), META);
  assert.match(text, /^Greeter bench: target localhost:50051\n/);
  assert.match(
    text,
    /concurrency 8 · channels 2 · duration 10\.00 s · rate open · warm-up 100 calls/,
  );
  assert.match(text, /2025-01-02T03:04:05\.000Z · deno 2\.9\.3 · commit abc1234/);
  const [, unary, stream] = text.split(/\n\n(?=\w)/);
  assert.match(unary, /^unary\n/);
  assert.match(unary, /calls {9}1000 in 1\.00 s \(100 warm-up calls excluded\)/);
  assert.match(unary, /throughput {4}1000\.0 calls\/s · 1000\.0 msgs\/s/);
  assert.match(
    unary,
    /latency ms {4}p50 10\.\d · p90 18\.\d · p99 19\.\d · max 20\.0 · mean 10\.3 · min 0\.500/,
  );
  assert.match(unary, /statuses {6}OK 990 \(99\.0%\) · UNAVAILABLE 10 \(1\.0%\)/);
  assert.match(unary, /errors {8}10 × UNAVAILABLE: connection refused/);
  assert.doesNotMatch(unary, /first msg/, "no time to first message for unary calls");
  assert.doesNotMatch(unary, /service ms|target rate/, "closed loop: latency is service time");
  assert.match(stream, /^server_stream\n/);
  assert.match(stream, /throughput {4}200\.0 calls\/s · 2000\.0 msgs\/s/);
  assert.match(stream, /first msg ms {2}p50 2\.\d+ · .* max 4\.00/);
});

Deno.test("formatReport draws a latency histogram whose rows add up to the calls", () => {
  const text = formatReport({ unary: sampleResults().unary }, META);
  const rows = text.split("\n").filter((line) => /\|[# ]*\|/.test(line));
  assert.ok(rows.length >= 2 && rows.length <= 10, `${rows.length} rows`);
  const counts = rows.map((line) => Number(line.split("|")[2].trim().split(/\s+/)[0]));
  assert.equal(counts.reduce((a, b) => a + b, 0), 1000);
  assert.ok(rows.some((line) => line.includes("#".repeat(30))), "the tallest row fills the bar");
});

Deno.test("formatReport shows rate, schedule lag and service time for a rate-limited run", () => {
  const result = resultOf({
    callsPerSecond: 95,
    ratePerSecond: 100,
    latencies: [10, 20, 30],
    serviceTimes: [5, 5, 5],
  });
  const text = formatReport({ unary: result }, { ...META, ratePerSecond: 100 });
  assert.match(text, /rate 100\.0\/s/);
  assert.match(text, /target rate {3}100\.0 calls\/s · schedule lag max 3\.25 ms, mean 0\.500 ms/);
  assert.match(text, /latency ms {4}p50 20\.\d · p90 30\.0 · p99 30\.0 · max 30\.0/);
  assert.match(text, /service ms {4}p50 5\.00/);
  assert.match(
    text,
    /^ +10\.0 \.\. .*\| +1 +33\.3%$/m,
    "the first row starts at the exact minimum",
  );
  assert.match(text, /\.\. 30\.0 +\|.*\| +1 +33\.3%$/m, "the last row ends at the exact maximum");
});

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
    client_stream: { callsPerSecond: 50, p50: 4 },
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
  assert.match(text, /Only in A \(main\.json\): client_stream/);
  assert.match(text, /Only in B \(pr\.json\): bidi/);
  assert.doesNotMatch(text, /^client_stream$|^bidi$/m, "one-sided patterns get no table");
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
  assert.match(text, /server_stream\n/);
  assert.match(text, /first msg p50 ms .* 1\.00x {2}~same/);
  assert.doesNotMatch(text, /note:/);
});
