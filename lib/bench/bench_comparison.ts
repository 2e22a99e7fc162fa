/**
 * Two bench documents side by side, pattern by pattern, with B/A ratios and
 * a verdict per figure.
 *
 * @module
 */
import type { BenchJson, BenchJsonMeta, BenchJsonPattern } from "./bench_schema.ts";
import { fmtMs, fmtRate, messagesMoved, provenanceOf, settingsOf } from "./_bench_format.ts";

/** One figure the comparison sets side by side, a row in each pattern's block. */
interface ComparedFigure {
  /** Row label. */
  label: string;
  /** The figure in one document's pattern, or `null` when it has none. */
  value(pattern: BenchJsonPattern): number | null;
  /** Whether a higher B is `better` (throughput) rather than `worse` (latency). */
  higherIsBetter: boolean;
  /** How a value is printed. */
  format(value: number): string;
  /** Leave the row out unless both documents have the figure. @default false */
  onlyWhenBoth?: boolean;
}

/** The rows of each pattern's block, in order; a new figure is one more entry. */
const COMPARED_FIGURES: readonly ComparedFigure[] = [
  { label: "calls/s", value: (p) => p.callsPerSecond, higherIsBetter: true, format: fmtRate },
  { label: "msgs/s", value: messagesMoved, higherIsBetter: true, format: fmtRate },
  ...(["p50", "p90", "p99", "max"] as const).map((figure): ComparedFigure => ({
    label: `latency ${figure} ms`,
    value: (p) => p.latencyMs?.[figure] ?? null,
    higherIsBetter: false,
    format: fmtMs,
  })),
  ...(["p50", "p99"] as const).map((figure): ComparedFigure => ({
    label: `first msg ${figure} ms`,
    value: (p) => p.firstMessageMs?.[figure] ?? null,
    higherIsBetter: false,
    format: fmtMs,
    onlyWhenBoth: true,
  })),
];

/** Options for {@linkcode formatComparison}. */
export interface ComparisonOptions {
  /** Name of the first document, such as its path. @default "A" */
  labelA?: string;
  /** Name of the second document. @default "B" */
  labelB?: string;
}

/**
 * Compares two bench documents pattern by pattern: each figure for A and B
 * side by side with the ratio **B/A** (A is the baseline, B the candidate).
 * For calls/s and msgs/s a ratio above 1 means B is faster; for latency a
 * ratio below 1 means B is faster. A figure moving more than 5 % in B's favour
 * is marked `better`, against it `worse`, otherwise `~same`. Patterns present
 * in only one document are listed at the end, and differing settings
 * (target, concurrency, rate, …) are noted, since they make ratios moot.
 *
 * @param a the baseline document
 * @param b the candidate document
 * @param options labels for the two documents
 * @returns the comparison text, ending in a newline
 *
 * @example
 * ```ts
 * // A did 1000 calls/s, B 2000 calls/s: the row reads "2.00x  better".
 * console.log(formatComparison(before, after, { labelA: "main.json", labelB: "pr.json" }));
 * ```
 */
export function formatComparison(
  a: BenchJson,
  b: BenchJson,
  options: ComparisonOptions = {},
): string {
  const labelA = options.labelA ?? "A";
  const labelB = options.labelB ?? "B";
  const lines = [`Bench comparison: A = ${labelA}, B = ${labelB}`];
  lines.push(`  A: ${a.meta.target} · ${settingsOf(a.meta)} · ${provenanceOf(a.meta)}`);
  lines.push(`  B: ${b.meta.target} · ${settingsOf(b.meta)} · ${provenanceOf(b.meta)}`);
  lines.push(
    "  Ratios are B/A: above 1.00x means B is higher (faster for calls/s and msgs/s,",
    "  slower for latency).",
  );
  const compared: (keyof BenchJsonMeta)[] = [
    "target",
    "concurrency",
    "channels",
    "durationMs",
    "totalCalls",
    "ratePerSecond",
  ];
  for (const key of compared) {
    if (a.meta[key] !== b.meta[key]) {
      lines.push(`  note: ${key} differs (A ${a.meta[key] ?? "-"}, B ${b.meta[key] ?? "-"})`);
    }
  }
  const namesA = Object.keys(a.patterns);
  const namesB = Object.keys(b.patterns);
  const common = namesA.filter((name) => name in b.patterns);
  if (common.length === 0) lines.push("", "No pattern appears in both files.");
  for (const name of common) {
    const pa = a.patterns[name];
    const pb = b.patterns[name];
    lines.push("", name);
    lines.push(
      `  ${"figure".padEnd(18)}${"A".padStart(12)}${"B".padStart(12)}${"B/A".padStart(9)}`,
    );
    for (const figure of COMPARED_FIGURES) {
      const va = figure.value(pa);
      const vb = figure.value(pb);
      if (figure.onlyWhenBoth && (va === null || vb === null)) continue;
      lines.push(compareRow(figure, va, vb));
    }
    const failedA = failures(pa);
    const failedB = failures(pb);
    lines.push(
      `  ${"non-OK calls".padEnd(18)}${String(failedA).padStart(12)}${
        String(failedB).padStart(12)
      }`,
    );
  }
  const onlyA = namesA.filter((name) => !(name in b.patterns));
  const onlyB = namesB.filter((name) => !(name in a.patterns));
  if (onlyA.length > 0 || onlyB.length > 0) lines.push("");
  if (onlyA.length > 0) lines.push(`Only in A (${labelA}): ${onlyA.join(", ")}`);
  if (onlyB.length > 0) lines.push(`Only in B (${labelB}): ${onlyB.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The ratio B/A as printed by {@linkcode formatComparison}: two decimals and
 * an `x`, or `n/a` when A is zero or either figure is missing.
 *
 * @param a the baseline figure
 * @param b the candidate figure
 * @returns for example `"2.00x"` for a = 1000, b = 2000
 */
export function formatRatio(a: number | null, b: number | null): string {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) {
    return "n/a";
  }
  return `${(b / a).toFixed(2)}x`;
}

function compareRow(figure: ComparedFigure, a: number | null, b: number | null): string {
  const { label, higherIsBetter, format } = figure;
  const ratio = formatRatio(a, b);
  let verdict = "";
  if (ratio !== "n/a") {
    const r = b! / a!;
    const better = higherIsBetter ? r > 1.05 : r < 1 / 1.05;
    const worse = higherIsBetter ? r < 1 / 1.05 : r > 1.05;
    verdict = better ? "  better" : worse ? "  worse" : "  ~same";
  }
  const va = a === null ? "-" : format(a);
  const vb = b === null ? "-" : format(b);
  return `  ${label.padEnd(18)}${va.padStart(12)}${vb.padStart(12)}${ratio.padStart(9)}${verdict}`;
}

function failures(p: BenchJsonPattern): number {
  let sum = 0;
  for (const [status, count] of Object.entries(p.statuses)) if (status !== "OK") sum += count;
  return sum;
}
