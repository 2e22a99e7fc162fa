/**
 * A latency histogram with bounded memory and a bounded relative error, for
 * the bench: millions of samples cost the same few kilobytes as ten.
 *
 * Layout (log-linear, in the manner of HDR histograms): the tracked range
 * `[lowestMs, lowestMs · 2^octaves)` is cut into powers of two ("octaves"),
 * and each octave into `subBuckets` equal-width linear buckets. A bucket in the
 * octave starting at `b` is `b / subBuckets` wide, so reporting its midpoint is
 * off by at most `1 / (2 · subBuckets)` of the true value: 0.78 % with the
 * default 64 sub-buckets. With the defaults (1 µs to 60 s) that is 26 octaves,
 * 1,664 buckets plus one underflow bucket (`[0, lowestMs)`) and one overflow
 * bucket (`>= lowestMs · 2^26`, about 67 s); about 13 KB of counts.
 *
 * `count`, `min`, `max` and `mean` are exact; percentiles are exact for the
 * smallest and largest sample and within the relative error otherwise.
 *
 * @module
 */

/** Options for {@linkcode Histogram}. Two histograms merge only when these agree. */
export interface HistogramOptions {
  /**
   * Smallest value, in milliseconds, tracked within the relative error;
   * smaller values (and zero) share one underflow bucket.
   * @default 0.001 (1 µs)
   */
  lowestMs?: number;
  /**
   * Largest value, in milliseconds, tracked within the relative error (rounded
   * up to a whole octave); larger values share one overflow bucket.
   * @default 60_000 (60 s)
   */
  highestMs?: number;
  /**
   * Linear buckets per power of two; the relative error of a percentile is at
   * most `1 / (2 · subBuckets)`.
   * @default 64
   */
  subBuckets?: number;
}

/** One non-empty bucket of a {@linkcode Histogram}: `count` samples in `[fromMs, toMs)`. */
export interface HistogramBucket {
  /** Inclusive lower bound, in milliseconds. */
  readonly fromMs: number;
  /** Exclusive upper bound, in milliseconds (`Infinity` for the overflow bucket). */
  readonly toMs: number;
  /** Samples recorded in this bucket. */
  readonly count: number;
}

/** The usual latency figures, in milliseconds; every field is `NaN` when empty. */
export interface LatencySummary {
  /** Smallest sample (exact). */
  readonly min: number;
  /** Arithmetic mean (exact). */
  readonly mean: number;
  /** Median. */
  readonly p50: number;
  /** 90th percentile. */
  readonly p90: number;
  /** 99th percentile. */
  readonly p99: number;
  /** 99.9th percentile. */
  readonly p999: number;
  /** Largest sample (exact). */
  readonly max: number;
}

/**
 * A log-linear latency histogram over milliseconds.
 *
 * An empty histogram has `count === 0`, and `min`, `max`, `mean` and every
 * `percentile(p)` are `NaN` (never an exception): a pattern in which no call
 * completed still prints and serializes.
 *
 * @example
 * ```ts
 * const h = new Histogram();
 * for (const ms of [1.2, 3.4, 0.8]) h.record(ms);
 * h.percentile(50); // ≈ 1.2, within h.relativeError
 * h.max; // 3.4 exactly
 * ```
 */
export class Histogram {
  /** Smallest value tracked within the relative error, in milliseconds. */
  readonly lowestMs: number;
  /** Start of the overflow bucket, in milliseconds (≥ the requested `highestMs`). */
  readonly highestMs: number;
  /** Linear buckets per power of two. */
  readonly subBuckets: number;
  readonly #octaves: number;
  readonly #counts: Float64Array;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  /**
   * Creates an empty histogram.
   *
   * @param options bucket layout; see {@linkcode HistogramOptions}
   * @throws {RangeError} when the layout is invalid
   */
  constructor(options: HistogramOptions = {}) {
    const lowestMs = options.lowestMs ?? 0.001;
    const highestMs = options.highestMs ?? 60_000;
    const subBuckets = options.subBuckets ?? 64;
    if (!(Number.isFinite(lowestMs) && lowestMs > 0)) {
      throw new RangeError(`Histogram: "lowestMs" must be a positive number, got ${lowestMs}`);
    }
    if (!(Number.isFinite(highestMs) && highestMs > lowestMs)) {
      throw new RangeError(
        `Histogram: "highestMs" must be a number above "lowestMs" (${lowestMs}), got ${highestMs}`,
      );
    }
    if (!(Number.isInteger(subBuckets) && subBuckets >= 1 && subBuckets <= 4096)) {
      throw new RangeError(
        `Histogram: "subBuckets" must be an integer from 1 to 4096, got ${subBuckets}`,
      );
    }
    this.lowestMs = lowestMs;
    this.subBuckets = subBuckets;
    this.#octaves = Math.max(1, Math.ceil(Math.log2(highestMs / lowestMs)));
    this.highestMs = lowestMs * 2 ** this.#octaves;
    // Index 0 is the underflow bucket, the last index the overflow bucket.
    this.#counts = new Float64Array(this.#octaves * subBuckets + 2);
  }

  /** Largest relative error of a percentile: `1 / (2 · subBuckets)`. */
  get relativeError(): number {
    return 1 / (2 * this.subBuckets);
  }

  /** Number of recorded samples. */
  get count(): number {
    return this.#count;
  }

  /** Smallest recorded sample, exact; `NaN` when empty. */
  get min(): number {
    return this.#count === 0 ? NaN : this.#min;
  }

  /** Largest recorded sample, exact; `NaN` when empty. */
  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }

  /** Sum of all samples, in milliseconds; 0 when empty. */
  get sum(): number {
    return this.#sum;
  }

  /** Arithmetic mean of the samples, exact; `NaN` when empty. */
  get mean(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }

  /**
   * Records one sample.
   *
   * @param ms a duration in milliseconds: finite and not negative
   * @throws {RangeError} for a negative, infinite or `NaN` value, which is
   *   always a measuring bug, never a latency
   */
  record(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new RangeError(`Histogram.record: expected a finite duration >= 0 ms, got ${ms}`);
    }
    this.#counts[this.#indexOf(ms)]++;
    this.#count++;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  /**
   * Adds every sample of `other` to this histogram; afterwards this histogram
   * equals one that recorded both sets of samples.
   *
   * @param other a histogram with the same `lowestMs`, `highestMs` and `subBuckets`
   * @throws {RangeError} when the layouts differ
   */
  merge(other: Histogram): void {
    if (
      other.lowestMs !== this.lowestMs || other.highestMs !== this.highestMs ||
      other.subBuckets !== this.subBuckets
    ) {
      throw new RangeError(
        "Histogram.merge: layouts differ (lowestMs, highestMs and subBuckets must be equal)",
      );
    }
    if (other.#count === 0) return;
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i] += other.#counts[i];
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /**
   * The nearest-rank percentile: the smallest recorded value such that at
   * least `p` % of the samples are at or below it, reported as the midpoint of
   * its bucket (clamped to `[min, max]`), so within {@linkcode relativeError}
   * of the true sample. `percentile(0)` is `min` and `percentile(100)` is
   * `max`, both exact.
   *
   * @param p a percentage in `[0, 100]`
   * @returns the percentile in milliseconds, or `NaN` when the histogram is empty
   * @throws {RangeError} when `p` is outside `[0, 100]` or `NaN`
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) {
      throw new RangeError(`Histogram.percentile: expected p in [0, 100], got ${p}`);
    }
    if (this.#count === 0) return NaN;
    // Multiply before dividing so that, for example, p = 99 of 1000 samples is rank 990.
    const rank = Math.min(this.#count, Math.max(1, Math.ceil((p * this.#count) / 100)));
    if (rank === 1) return this.#min;
    if (rank === this.#count) return this.#max;
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i];
      if (seen >= rank) {
        const [from, to] = this.#boundsOf(i);
        const mid = to === Infinity ? this.#max : (from + to) / 2;
        return Math.min(this.#max, Math.max(this.#min, mid));
      }
    }
    return this.#max; // unreachable: the counts add up to #count
  }

  /** {@linkcode LatencySummary} of the samples; every field `NaN` when empty. */
  summary(): LatencySummary {
    return {
      min: this.min,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }

  /**
   * The non-empty buckets in ascending order, for printing or serializing a
   * histogram. Adjacent rows are usually re-binned for display.
   */
  buckets(): HistogramBucket[] {
    const out: HistogramBucket[] = [];
    for (let i = 0; i < this.#counts.length; i++) {
      const count = this.#counts[i];
      if (count === 0) continue;
      const [fromMs, toMs] = this.#boundsOf(i);
      out.push({ fromMs, toMs, count });
    }
    return out;
  }

  #indexOf(ms: number): number {
    const ratio = ms / this.lowestMs;
    if (ratio < 1) return 0;
    let octave = Math.floor(Math.log2(ratio));
    // Math.log2 may be off by one ulp next to exact powers of two.
    if (2 ** octave > ratio) octave--;
    else if (2 ** (octave + 1) <= ratio) octave++;
    if (octave >= this.#octaves) return this.#counts.length - 1;
    const sub = Math.min(
      this.subBuckets - 1,
      Math.floor((ratio / 2 ** octave - 1) * this.subBuckets),
    );
    return 1 + octave * this.subBuckets + sub;
  }

  #boundsOf(index: number): [number, number] {
    if (index === 0) return [0, this.lowestMs];
    if (index === this.#counts.length - 1) return [this.highestMs, Infinity];
    const octave = Math.floor((index - 1) / this.subBuckets);
    const sub = (index - 1) % this.subBuckets;
    const base = this.lowestMs * 2 ** octave;
    const width = base / this.subBuckets;
    return [base + sub * width, base + (sub + 1) * width];
  }
}
