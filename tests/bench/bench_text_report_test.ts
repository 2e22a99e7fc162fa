import assert from "node:assert/strict";
import { formatReport } from "../../lib/bench/bench_text_report.ts";
import { META, resultOf, sampleResults } from "../fixtures/bench_results.ts";

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
  assert.match(
    unary,
    /throughput {4}1000\.0 calls\/s · 2000\.0 msgs\/s \(1000\.0 requests \+ 1000\.0 replies\)/,
  );
  assert.match(
    unary,
    /latency ms {4}p50 10\.\d · p90 18\.\d · p99 19\.\d · max 20\.0 · mean 10\.3 · min 0\.500/,
  );
  assert.match(unary, /statuses {6}OK 990 \(99\.0%\) · UNAVAILABLE 10 \(1\.0%\)/);
  assert.match(unary, /errors {8}10 × UNAVAILABLE: connection refused/);
  assert.doesNotMatch(unary, /first msg/, "no time to first message for unary calls");
  assert.doesNotMatch(unary, /service ms|target rate/, "closed loop: latency is service time");
  assert.match(stream, /^server-stream\n/);
  assert.match(
    stream,
    /throughput {4}200\.0 calls\/s · 2200\.0 msgs\/s \(200\.0 requests \+ 2000\.0 replies\)/,
  );
  assert.match(stream, /first msg ms {2}p50 2\.\d+ · .* max 4\.00/);
});

Deno.test("formatReport counts the requests of client streaming as the messages it moves", () => {
  const clientStream = resultOf({
    callsPerSecond: 1000,
    latencies: [1, 2, 3, 4],
    messagesPerCall: 1,
    requestsPerCall: 100,
  });
  const text = formatReport({ "client-stream": clientStream }, META);
  assert.match(
    text,
    /throughput {4}1000\.0 calls\/s · 101000\.0 msgs\/s \(100000\.0 requests \+ 1000\.0 replies\)/,
  );
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
