/**
 * The machine-readable report (`--json`).
 *
 * @module
 */
import { type RunReport, summaryLine } from "./run_report.ts";

/**
 * Serialises `report` as pretty JSON, with the summary line included.
 *
 * @param report the run
 * @returns JSON text ending with a newline
 */
export function formatJsonReport(report: RunReport): string {
  return `${JSON.stringify({ ...report, summary: summaryLine(report) }, null, 2)}\n`;
}
