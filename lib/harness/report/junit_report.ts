/**
 * JUnit XML (`--junit FILE`), the format CI systems render: one test suite
 * per scenario group, one test case per scenario; a FAIL is a `<failure>`, a
 * SKIP a `<skipped>`.
 *
 * @module
 */
import type { RunReport, ScenarioResult } from "./run_report.ts";

/**
 * Formats `report` as a JUnit XML document.
 *
 * @param report the run
 * @returns the XML text
 */
export function formatJunitReport(report: RunReport): string {
  const groups = new Map<string, ScenarioResult[]>();
  for (const result of report.results) {
    const list = groups.get(result.group) ?? [];
    list.push(result);
    groups.set(result.group, list);
  }
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="greeter-conformance" tests="${report.results.length}" failures="${report.failed}" skipped="${report.skipped}" time="${
      seconds(report.durationMs)
    }" timestamp="${escape(report.startedAt)}">`,
  ];
  for (const [group, results] of groups) {
    const failures = results.filter((r) => r.verdict === "FAIL").length;
    const skipped = results.filter((r) => r.verdict === "SKIP").length;
    const time = results.reduce((sum, r) => sum + r.durationMs, 0);
    out.push(
      `  <testsuite name="${
        escape(group)
      }" tests="${results.length}" failures="${failures}" skipped="${skipped}" time="${
        seconds(time)
      }">`,
    );
    for (const r of results) {
      const open = `    <testcase classname="greeter.${escape(group)}" name="${
        escape(r.name)
      }" time="${seconds(r.durationMs)}"`;
      if (r.verdict === "PASS") {
        out.push(`${open}/>`);
      } else if (r.verdict === "SKIP") {
        out.push(
          `${open}>`,
          `      <skipped message="${escape(r.detail ?? "")}"/>`,
          `    </testcase>`,
        );
      } else {
        const message = `expected ${r.expected}, got ${r.got}`;
        out.push(
          `${open}>`,
          `      <failure message="${escape(message)}">${escape(r.detail ?? message)}</failure>`,
          `    </testcase>`,
        );
      }
    }
    out.push(`  </testsuite>`);
  }
  out.push(`</testsuites>`, "");
  return out.join("\n");
}

function escape(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // Characters XML 1.0 cannot carry at all.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "\uFFFD");
}
