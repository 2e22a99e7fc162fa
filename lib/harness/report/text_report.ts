/**
 * The human-readable report: one table row per scenario, then the summary.
 *
 * @module
 */
import { type RunReport, summaryLine } from "./run_report.ts";

/** Options for {@linkcode formatTextReport}. */
export interface TextReportOptions {
  /** Add each row's detail (status message, skip reason) under it. @default false */
  verbose?: boolean;
  /** Widest a column may grow before it is cut with `…`. @default 60 */
  maxColumnWidth?: number;
}

/**
 * Formats `report` as an aligned table followed by the summary line. Failed
 * and skipped rows always show their detail, since that is what one needs to
 * act on; passing rows only with `verbose`.
 *
 * @param report the run
 * @param options verbosity and column width
 * @returns the text, ending with the summary line and a newline
 */
export function formatTextReport(report: RunReport, options: TextReportOptions = {}): string {
  const max = options.maxColumnWidth ?? 60;
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
  const header = ["SCENARIO", "EXPECTED", "GOT", "TIME", "RESULT"];
  const rows = report.results.map((r) => [
    r.name,
    cut(r.expected),
    cut(r.got),
    r.verdict === "SKIP" ? "-" : formatMs(r.durationMs),
    r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  const out = [`Greeter conformance: ${report.target}`, "", line(header)];
  out.push(widths.map((w) => "-".repeat(w)).join("  "));
  report.results.forEach((r, i) => {
    out.push(line(rows[i]));
    if (r.detail && (options.verbose || r.verdict !== "PASS")) {
      out.push(`    ${r.verdict === "SKIP" ? "skipped: " : ""}${r.detail}`);
    }
  });
  out.push("", summaryLine(report));
  return `${out.join("\n")}\n`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
