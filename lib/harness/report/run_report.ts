/**
 * The result of a scenario run, shared by the runner and the report formats.
 *
 * @module
 */

/** How one scenario ended. */
export type Verdict = "PASS" | "FAIL" | "SKIP";

/** One scenario's row in the report. */
export interface ScenarioResult {
  /** Scenario name. */
  readonly name: string;
  /** Scenario group. */
  readonly group: string;
  /** What a correct server answers. */
  readonly expected: string;
  /** What this server answered (for a skip: `"-"`). */
  readonly got: string;
  /** The verdict. */
  readonly verdict: Verdict;
  /** Wall time, in milliseconds. */
  readonly durationMs: number;
  /** Status message, reply or skip reason. */
  readonly detail?: string;
}

/** A whole run. */
export interface RunReport {
  /** `host:port` tested. */
  readonly target: string;
  /** When the run started (ISO 8601). */
  readonly startedAt: string;
  /** Total wall time, in milliseconds. */
  readonly durationMs: number;
  /** One row per selected scenario, in run order. */
  readonly results: readonly ScenarioResult[];
  /** Count of `PASS`. */
  readonly passed: number;
  /** Count of `FAIL`. */
  readonly failed: number;
  /** Count of `SKIP`. */
  readonly skipped: number;
}

/**
 * The final line: `N passed, M failed`, plus `, K skipped` when any were.
 *
 * @param report the run
 *
 * @example
 * ```ts
 * summaryLine({ passed: 58, failed: 1, skipped: 2 }); // "58 passed, 1 failed, 2 skipped"
 * ```
 */
export function summaryLine(report: Pick<RunReport, "passed" | "failed" | "skipped">): string {
  const line = `${report.passed} passed, ${report.failed} failed`;
  return report.skipped > 0 ? `${line}, ${report.skipped} skipped` : line;
}

/**
 * Exit code of a run: 0 only when nothing failed (skips do not fail a run).
 *
 * @param report the run
 *
 * @example
 * ```ts
 * Deno.exit(exitCodeOf(await runScenarios(allScenarios(), ctx)));
 * ```
 */
export function exitCodeOf(report: Pick<RunReport, "failed">): number {
  return report.failed === 0 ? 0 : 1;
}
