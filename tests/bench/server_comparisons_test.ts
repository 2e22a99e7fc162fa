import assert from "node:assert/strict";
import {
  AUTH_CACHE_COMPARISON,
  LOGGING_COMPARISON,
  OVERHEAD_COMPARISON,
  RUNTIMES_COMPARISON,
  type ServerComparison,
} from "../../lib/bench/server_comparisons.ts";

const COMPARISONS: Record<string, ServerComparison> = {
  overhead: OVERHEAD_COMPARISON,
  "auth cache": AUTH_CACHE_COMPARISON,
  logging: LOGGING_COMPARISON,
  runtimes: RUNTIMES_COMPARISON,
};

for (const [name, comparison] of Object.entries(COMPARISONS)) {
  Deno.test(`the ${name} comparison names each variant once and has a baseline and a candidate`, () => {
    const names = comparison.variants.map((v) => v.name);
    assert.ok(names.length >= 2, names.join(", "));
    assert.equal(new Set(names).size, names.length, "a variant name is used twice");
    const specs = comparison.variants.map(({ name: _, ...setup }) => JSON.stringify(setup));
    assert.equal(
      new Set(specs).size,
      specs.length,
      "two variants run the same server with the same tokens",
    );
  });
}

Deno.test("the overhead comparison measures full against a bare baseline, as its script reads it", () => {
  assert.equal(OVERHEAD_COMPARISON.variants[0].spec.variant, "bare");
  assert.equal(OVERHEAD_COMPARISON.variants.find((v) => v.name === "full")?.spec.variant, "full");
});
