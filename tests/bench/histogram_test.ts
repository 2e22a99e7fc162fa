import assert from "node:assert/strict";
import { Histogram } from "../../lib/bench/histogram.ts";

/** Deterministic PRNG (mulberry32), so failures reproduce. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exact nearest-rank percentile of `sorted`. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p * sorted.length) / 100)));
  return sorted[rank - 1];
}

function within(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * expected + 1e-12,
    `${what}: ${actual} is not within ${relative * 100}% of ${expected}`,
  );
}

function histogramOf(values: number[]): Histogram {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h;
}

const uniform = Array.from({ length: 1000 }, (_, i) => i + 1);

Deno.test("histogram with default layout promises under 1% relative error", () => {
  const h = new Histogram();
  assert.equal(h.relativeError, 1 / 128);
  assert.ok(h.lowestMs <= 0.001);
  assert.ok(h.highestMs >= 60_000);
});

Deno.test("histogram percentiles of a known distribution stay within the error bound", async (t) => {
  const cases: { name: string; p: number; expected: number }[] = [
    { name: "uniform 1..1000 ms has p50 near 500", p: 50, expected: 500 },
    { name: "uniform 1..1000 ms has p90 near 900", p: 90, expected: 900 },
    { name: "uniform 1..1000 ms has p99 near 990", p: 99, expected: 990 },
    { name: "uniform 1..1000 ms has p99.9 near 999", p: 99.9, expected: 999 },
    { name: "uniform 1..1000 ms has p1 near 10", p: 1, expected: 10 },
  ];
  const h = histogramOf(uniform);
  for (const c of cases) {
    await t.step(c.name, () => within(h.percentile(c.p), c.expected, h.relativeError, c.name));
  }
});

Deno.test("histogram reports count, min, max and mean exactly", () => {
  const h = histogramOf(uniform);
  assert.equal(h.count, 1000);
  assert.equal(h.min, 1);
  assert.equal(h.max, 1000);
  assert.equal(h.mean, 500.5);
  assert.equal(h.percentile(0), 1);
  assert.equal(h.percentile(100), 1000);
});

Deno.test("histogram percentiles match exact ones across a log-uniform 1 µs to 60 s spread", () => {
  const random = seeded(42);
  const values = Array.from({ length: 20_000 }, () => 0.001 * 60_000_000 ** random());
  const h = histogramOf(values);
  const sorted = [...values].sort((a, b) => a - b);
  for (const p of [0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
    within(h.percentile(p), exactPercentile(sorted, p), h.relativeError, `p${p}`);
  }
});

Deno.test("histogram with a single sample gives that sample for every figure", () => {
  const h = histogramOf([12.345]);
  assert.equal(h.count, 1);
  for (const p of [0, 1, 50, 99, 100]) assert.equal(h.percentile(p), 12.345, `p${p}`);
  assert.deepEqual(h.summary(), {
    min: 12.345,
    mean: 12.345,
    p50: 12.345,
    p90: 12.345,
    p99: 12.345,
    p999: 12.345,
    max: 12.345,
  });
});

Deno.test("empty histogram reports NaN figures instead of throwing", () => {
  const h = new Histogram();
  assert.equal(h.count, 0);
  assert.equal(h.sum, 0);
  assert.ok(Number.isNaN(h.min));
  assert.ok(Number.isNaN(h.max));
  assert.ok(Number.isNaN(h.mean));
  assert.ok(Number.isNaN(h.percentile(50)));
  assert.ok(Object.values(h.summary()).every(Number.isNaN));
  assert.deepEqual(h.buckets(), []);
});

Deno.test("histogram merge equals recording both sets of samples", () => {
  const random = seeded(7);
  const left = Array.from({ length: 500 }, () => random() * 50);
  const right = Array.from({ length: 700 }, () => 20 + random() * 2000);
  const merged = histogramOf(left);
  merged.merge(histogramOf(right));
  const both = histogramOf([...left, ...right]);
  assert.deepEqual(merged.buckets(), both.buckets());
  assert.equal(merged.count, both.count);
  assert.equal(merged.min, both.min);
  assert.equal(merged.max, both.max);
  assert.ok(Math.abs(merged.mean - both.mean) < 1e-9);
  for (const p of [0, 50, 90, 99, 100]) assert.equal(merged.percentile(p), both.percentile(p));
});

Deno.test("histogram merge of an empty histogram changes nothing either way", () => {
  const h = histogramOf([1, 2, 3]);
  h.merge(new Histogram());
  assert.equal(h.count, 3);
  const empty = new Histogram();
  empty.merge(h);
  assert.deepEqual(empty.summary(), h.summary());
});

Deno.test("histogram merge refuses a histogram with another layout", () => {
  assert.throws(() => new Histogram().merge(new Histogram({ subBuckets: 32 })), {
    name: "RangeError",
    message: /layouts differ/,
  });
});

Deno.test("histogram keeps values outside its range with exact extremes", () => {
  const h = histogramOf([0, 0.0001, 5, 90_000, 120_000]);
  assert.equal(h.count, 5);
  assert.equal(h.min, 0);
  assert.equal(h.max, 120_000);
  assert.equal(h.percentile(100), 120_000);
  const buckets = h.buckets();
  assert.deepEqual(buckets[0], { fromMs: 0, toMs: h.lowestMs, count: 2 });
  assert.deepEqual(buckets[buckets.length - 1], {
    fromMs: h.highestMs,
    toMs: Infinity,
    count: 2,
  });
});

Deno.test("histogram puts each value, including exact powers of two, inside its bucket bounds", () => {
  const values = [0.001, 0.002, 0.004, 1.024, 2.048, 0.5, 1, 3, 999.999, 1000, 59_999, 60_000];
  for (const v of values) {
    const [bucket] = histogramOf([v]).buckets();
    assert.ok(
      bucket.fromMs <= v * (1 + 1e-12) && v < bucket.toMs * (1 + 1e-12),
      `${v} in ${JSON.stringify(bucket)}`,
    );
    assert.ok(
      (bucket.toMs - bucket.fromMs) / bucket.fromMs <= 2 * new Histogram().relativeError + 1e-12,
    );
  }
});

Deno.test("histogram buckets are ascending, non-empty and add up to the count", () => {
  const h = histogramOf(uniform);
  const buckets = h.buckets();
  assert.equal(buckets.reduce((sum, b) => sum + b.count, 0), 1000);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i - 1].toMs <= buckets[i].fromMs);
  assert.ok(buckets.every((b) => b.count > 0));
});

Deno.test("histogram rejects values and percentiles that can only be bugs", async (t) => {
  const cases: { name: string; run: (h: Histogram) => unknown; message: RegExp }[] = [
    { name: "record rejects a negative duration", run: (h) => h.record(-1), message: /got -1/ },
    { name: "record rejects NaN", run: (h) => h.record(NaN), message: /got NaN/ },
    { name: "record rejects Infinity", run: (h) => h.record(Infinity), message: /got Infinity/ },
    {
      name: "percentile rejects p above 100",
      run: (h) => h.percentile(101),
      message: /\[0, 100\]/,
    },
    {
      name: "percentile rejects negative p",
      run: (h) => h.percentile(-0.5),
      message: /\[0, 100\]/,
    },
    { name: "percentile rejects NaN p", run: (h) => h.percentile(NaN), message: /\[0, 100\]/ },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => c.run(histogramOf([1])), { name: "RangeError", message: c.message });
    });
  }
});

Deno.test("histogram constructor rejects a layout that cannot work", async (t) => {
  const cases = [
    { name: "lowestMs of zero is refused", options: { lowestMs: 0 }, message: /lowestMs/ },
    {
      name: "highestMs below lowestMs is refused",
      options: { lowestMs: 1, highestMs: 0.5 },
      message: /highestMs/,
    },
    {
      name: "fractional subBuckets are refused",
      options: { subBuckets: 2.5 },
      message: /subBuckets/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => new Histogram(c.options), { name: "RangeError", message: c.message });
    });
  }
});

Deno.test("histogram with more sub-buckets is more precise", () => {
  const coarse = new Histogram({ subBuckets: 4 });
  const fine = new Histogram({ subBuckets: 256 });
  for (const v of uniform) {
    coarse.record(v);
    fine.record(v);
  }
  assert.equal(coarse.relativeError, 1 / 8);
  within(coarse.percentile(50), 500, coarse.relativeError, "coarse p50");
  within(fine.percentile(50), 500, fine.relativeError, "fine p50");
  assert.ok(Math.abs(fine.percentile(50) - 500) <= Math.abs(coarse.percentile(50) - 500));
});
