import assert from "node:assert/strict";
import {
  checkDenoVersion,
  LEAK_KB_PER_CONNECTION,
  PINNED_DENO,
} from "../../lib/shared/deno_version.ts";

// The verdicts follow the stability matrix (docs/RUNTIME.md): refuse what crashed in it, warn
// about what leaks and about what it never ran.
const CASES: [string, "ok" | "warn" | "refuse", RegExp][] = [
  ["2.9.3", "warn", /KB of server memory .*denoland\/deno#36043/],
  ["2.9.0", "warn", /KB of server memory/],
  ["2.8.3", "warn", /KB of server memory/],
  ["2.7.14", "warn", /KB of server memory/],
  ["2.7.0", "warn", /KB of server memory/],
  ["2.9.4", "refuse", /aborts inside nghttp2 .*denoland\/deno#36788/],
  ["2.9.5", "refuse", /aborts inside nghttp2/],
  ["2.9.6", "refuse", /aborts inside nghttp2/],
  ["2.6.10", "refuse", /cannot serve grpc-js/],
  ["1.46.3", "refuse", /cannot serve grpc-js/],
  ["2.9.7", "warn", /has not been through the stability matrix/],
  ["2.10.0", "warn", /has not been through the stability matrix/],
  ["3.0.0", "warn", /has not been through the stability matrix/],
  ["nightly", "warn", /unrecognised/],
];

for (const [version, verdict, reason] of CASES) {
  Deno.test(`version guard says ${verdict} for Deno ${version}`, () => {
    const result = checkDenoVersion(version);
    assert.equal(result.verdict, verdict);
    assert.match(result.message, new RegExp(version.replaceAll(".", "\\.")));
    assert.match(result.message, reason);
  });
}

Deno.test("version guard tells how to override a refusal and which release to use", () => {
  assert.match(checkDenoVersion("2.9.5").message, /--allow-unsupported-deno/);
  assert.match(checkDenoVersion("2.9.5").message, new RegExp(`use Deno ${PINNED_DENO}`));
});

Deno.test("version guard's leak warning carries the measured figure", () => {
  assert.match(checkDenoVersion("2.9.3").message, new RegExp(`about ${LEAK_KB_PER_CONNECTION} KB`));
});

Deno.test("version guard pins the release in .tool-versions and does not refuse it", async () => {
  const toolVersions = await Deno.readTextFile(new URL("../../.tool-versions", import.meta.url));
  assert.match(toolVersions, new RegExp(`^deno ${PINNED_DENO.replaceAll(".", "\\.")}$`, "m"));
  assert.notEqual(checkDenoVersion(PINNED_DENO).verdict, "refuse");
});

Deno.test("version guard does not refuse the Deno running these tests", () => {
  // CI installs the pinned release from .tool-versions; this fails if it drifts to a bad one.
  assert.notEqual(checkDenoVersion(Deno.version.deno).verdict, "refuse");
});
