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
    const verdict = observabilityVerdict({
      ratios: { ...ratios, "deno-otel": 0.9 },
      requests,
      bytes: 2_500_000,
    });
    assert.equal(verdict.code, code);
    assert.equal(verdict.lines[0], `OTLP receiver: ${requests} trace exports, 2.5 MB`);
    assert.equal(
      verdict.lines[1],
      `metrics+tracing / full calls/s: ${
        (ratios["metrics+tracing"] * 100).toFixed(1)
      } % (target >= 95 %)`,
    );
    assert.equal(
      verdict.lines[3],
      "Deno's OpenTelemetry alone (its span per request) / full calls/s: 90.0 %; " +
        "metrics+tracing sampling 1/10: not measured",
    );
    assert.equal(verdict.lines[4], last);
  });
}

Deno.test("observability variants put the untraced full server first and export only from the OpenTelemetry ones", () => {
  const variants = observabilityVariants("http://127.0.0.1:4318");
  assert.deepEqual(variants.map((v) => v.name), [
    "full",
    "tracing-off",
    "metrics",
    "metrics+tracing",
    "deno-otel",
    "metrics+tracing 1/10",
  ]);
  assert.deepEqual(variants.map((v) => v.spec.otlpEndpoint), [
    undefined,
    undefined,
    undefined,
    "http://127.0.0.1:4318",
    "http://127.0.0.1:4318",
    "http://127.0.0.1:4318",
  ]);
  assert.deepEqual(variants.map((v) => v.spec.tracing), [
    "off",
    "auto",
    "off",
    "auto",
    "off",
    "auto",
  ]);
  assert.deepEqual(variants.map((v) => v.spec.traceSamplerArg), [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    0.1,
  ]);
  assert.ok(variants.every((v) => v.spec.variant === "full" && v.spec.logLevel === "info"));
});
