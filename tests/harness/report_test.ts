import assert from "node:assert/strict";
import { formatJsonReport } from "../../lib/harness/report/json_report.ts";
import { formatJunitReport } from "../../lib/harness/report/junit_report.ts";
import {
  exitCodeOf,
  type RunReport,
  type ScenarioResult,
  summaryLine,
} from "../../lib/harness/report/run_report.ts";
import { formatScenarioList } from "../../lib/harness/report/scenario_list.ts";
import { formatTextReport } from "../../lib/harness/report/text_report.ts";
import type { ScenarioGroup } from "../../lib/harness/scenarios/scenario.ts";

function report(results: ScenarioResult[]): RunReport {
  return {
    target: "127.0.0.1:50051",
    startedAt: "2030-01-01T00:00:00.000Z",
    durationMs: 1234,
    results,
    passed: results.filter((r) => r.verdict === "PASS").length,
    failed: results.filter((r) => r.verdict === "FAIL").length,
    skipped: results.filter((r) => r.verdict === "SKIP").length,
  };
}

const PASS: ScenarioResult = {
  name: "unary-valid-token",
  group: "patterns",
  expected: "OK",
  got: "OK",
  verdict: "PASS",
  durationMs: 12,
};
const FAIL: ScenarioResult = {
  name: "unary-expired-token",
  group: "auth",
  expected: "UNAUTHENTICATED",
  got: "OK",
  verdict: "FAIL",
  durationMs: 3,
  detail: `said "Hello" <&>`,
};
const SKIP: ScenarioResult = {
  name: "unary-wrong-issuer",
  group: "auth",
  expected: "UNAUTHENTICATED",
  got: "-",
  verdict: "SKIP",
  durationMs: 0,
  detail: "needs the JWT secret",
};

const SUMMARIES: { name: string; results: ScenarioResult[]; line: string; exit: number }[] = [
  { name: "all passing", results: [PASS, PASS], line: "2 passed, 0 failed", exit: 0 },
  { name: "a failure", results: [PASS, FAIL], line: "1 passed, 1 failed", exit: 1 },
  {
    name: "a skip, which does not fail the run",
    results: [PASS, SKIP],
    line: "1 passed, 0 failed, 1 skipped",
    exit: 0,
  },
  {
    name: "everything",
    results: [PASS, FAIL, SKIP],
    line: "1 passed, 1 failed, 1 skipped",
    exit: 1,
  },
];

for (const c of SUMMARIES) {
  Deno.test(`report summary and exit code for ${c.name}`, () => {
    const r = report(c.results);
    assert.equal(summaryLine(r), c.line);
    assert.equal(exitCodeOf(r), c.exit);
    const text = formatTextReport(r);
    assert.ok(text.endsWith(`\n${c.line}\n`), "the table ends with the summary line");
    assert.equal(JSON.parse(formatJsonReport(r)).summary, c.line);
  });
}

Deno.test("text report shows each row's verdict and the detail of failures and skips", () => {
  const text = formatTextReport(report([PASS, FAIL, SKIP]));
  assert.match(text, /^unary-valid-token\s+OK\s+OK\s+12 ms\s+PASS$/m);
  assert.match(text, /^unary-expired-token\s+UNAUTHENTICATED\s+OK\s+3 ms\s+FAIL$/m);
  assert.match(text, /^ {4}said "Hello" <&>$/m);
  assert.match(text, /^ {4}skipped: needs the JWT secret$/m);
});

Deno.test("junit report has a suite per group, a failure per FAIL and a skip per SKIP, escaped", () => {
  const xml = formatJunitReport(report([PASS, FAIL, SKIP]));
  assert.match(xml, /<testsuites name="greeter-conformance" tests="3" failures="1" skipped="1"/);
  assert.match(xml, /<testsuite name="auth" tests="2" failures="1" skipped="1"/);
  assert.match(
    xml,
    /<testcase classname="greeter.patterns" name="unary-valid-token" time="0.012"\/>/,
  );
  assert.match(
    xml,
    /<failure message="expected UNAUTHENTICATED, got OK">said &quot;Hello&quot; &lt;&amp;&gt;<\/failure>/,
  );
  assert.match(xml, /<skipped message="needs the JWT secret"\/>/);
});

const LISTS: {
  name: string;
  scenarios: { name: string; group: ScenarioGroup; expected: string }[];
  text: string;
}[] = [
  { name: "an empty suite lists nothing", scenarios: [], text: "" },
  {
    name: "scenario list aligns name and group so each line starts with a name",
    scenarios: [
      { name: "a", group: "patterns", expected: "OK" },
      { name: "long-name", group: "tls", expected: "UNAVAILABLE or handshake failure" },
    ],
    text: "a          patterns  OK\n" +
      "long-name  tls       UNAVAILABLE or handshake failure\n",
  },
];

for (const c of LISTS) {
  Deno.test(`formatScenarioList: ${c.name}`, () => {
    assert.equal(formatScenarioList(c.scenarios), c.text);
  });
}
