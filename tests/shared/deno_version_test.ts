import assert from "node:assert/strict";
import { checkDenoVersion } from "../../lib/shared/deno_version.ts";

const CASES: [string, "ok" | "warn" | "refuse"][] = [
  ["2.9.3", "ok"],
  ["2.9.0", "ok"],
  ["2.8.3", "ok"],
  ["2.7.14", "ok"],
  ["2.9.4", "refuse"],
  ["2.9.5", "refuse"],
  ["2.9.6", "refuse"],
  ["2.6.10", "refuse"],
  ["1.46.3", "refuse"],
  ["2.10.0", "warn"],
  ["3.0.0", "warn"],
  ["nightly", "warn"],
];

for (const [version, verdict] of CASES) {
  Deno.test(`version guard says ${verdict} for Deno ${version}`, () => {
    const result = checkDenoVersion(version);
    assert.equal(result.verdict, verdict);
    if (verdict === "ok") assert.equal(result.message, "");
    else assert.match(result.message, new RegExp(version.replaceAll(".", "\\.")));
  });
}

Deno.test("version guard names the upstream issue for the GOAWAY crash", () => {
  assert.match(checkDenoVersion("2.9.5").message, /denoland\/deno#36788/);
  assert.match(checkDenoVersion("2.9.5").message, /--allow-unsupported-deno/);
});

Deno.test("version guard accepts the Deno running these tests", () => {
  // CI installs the pinned release from .tool-versions; this fails if it drifts to a bad one.
  assert.equal(checkDenoVersion(Deno.version.deno).verdict, "ok");
});
