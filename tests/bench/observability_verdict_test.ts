/** The observability bench's variants, closing lines and exit code. */
import assert from "node:assert/strict";
import {
  observabilityVariants,
  observabilityVerdict,
} from "../../lib/bench/observability_verdict.ts";

const VERDICTS: [string, Record<string, number>, number, number, string | undefined][] = [
  [
    "passes with both targets met",
    { "metrics+tracing": 0.96, "tracing-off": 0.99 },
    12,
    0,
    undefined,
  ],
  [
    "fails when tracing costs more than 5 %",
    { "metrics+tracing": 0.94, "tracing-off": 0.99 },
    12,
    1,
    undefined,
  ],
  [
    "fails when tracing off costs more than the noise",
    { "metrics+tracing": 0.97, "tracing-off": 0.975 },
    12,
    1,
    undefined,
  ],
  [
    "fails when no span reached the receiver, whatever the ratios",
    { "metrics+tracing": 1, "tracing-off": 1 },
    0,
    1,
    "no spans reached the receiver: the traced variant did not trace",
  ],
];

for (const [name, ratios, requests, code, last] of VERDICTS) {
  Deno.test(`observability verdict ${name}`, () => {
    const verdict = observabilityVerdict({ ratios, requests, bytes: 2_500_000 });
    assert.equal(verdict.code, code);
    assert.equal(verdict.lines[0], `OTLP receiver: ${requests} trace exports, 2.5 MB`);
    assert.equal(
      verdict.lines[1],
      `metrics+tracing / full calls/s: ${
        (ratios["metrics+tracing"] * 100).toFixed(1)
      } % (target >= 95 %)`,
    );
    assert.equal(verdict.lines[3], last);
  });
}

Deno.test("observability variants put the untraced full server first and export only from the last", () => {
  const variants = observabilityVariants("http://127.0.0.1:4318");
  assert.deepEqual(variants.map((v) => v.name), [
    "full",
    "tracing-off",
    "metrics",
    "metrics+tracing",
  ]);
  assert.deepEqual(variants.map((v) => v.spec.otlpEndpoint), [
    undefined,
    undefined,
    undefined,
    "http://127.0.0.1:4318",
  ]);
  assert.ok(variants.every((v) => v.spec.variant === "full" && v.spec.logLevel === "info"));
});
