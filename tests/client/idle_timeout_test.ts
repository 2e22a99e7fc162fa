import assert from "node:assert/strict";
import {
  CRASH_SAFE_IDLE_TIMEOUT_MS,
  idleTimeoutChannelOptions,
} from "../../lib/client/idle_timeout.ts";

const CASES: [string, Record<string, number>][] = [
  ["2.9.4", { "grpc.client_idle_timeout_ms": CRASH_SAFE_IDLE_TIMEOUT_MS }],
  ["2.9.6", { "grpc.client_idle_timeout_ms": CRASH_SAFE_IDLE_TIMEOUT_MS }],
  ["2.9.3", {}],
  ["2.8.3", {}],
  ["2.10.0", {}],
];

for (const [version, expected] of CASES) {
  const what = Object.keys(expected).length
    ? "closes idle channels after 60 s"
    : "keeps the default";
  Deno.test(`client on Deno ${version} ${what}`, () => {
    assert.deepEqual(idleTimeoutChannelOptions(version), expected);
  });
}

Deno.test("client idle timeout plus grpc-js's 10 s sweep stays below a 5-minute server idle limit", () => {
  assert.ok(CRASH_SAFE_IDLE_TIMEOUT_MS + 10_000 < 250_000);
});
