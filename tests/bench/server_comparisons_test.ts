import assert from "node:assert/strict";
import {
  AUTH_CACHE_COMPARISON,
  BREAKDOWN_COMPARISON,
  BREAKDOWN_PARTS,
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
  breakdown: BREAKDOWN_COMPARISON,
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

Deno.test("the breakdown comparison has the bare baseline, the whole chain, and one variant per part left out", () => {
  const names = BREAKDOWN_COMPARISON.variants.map((v) => v.name);
  assert.deepEqual(names.slice(0, 2), ["bare", "chain"]);
  assert.deepEqual(names.slice(2).sort(), Object.keys(BREAKDOWN_PARTS).sort());
  for (const variant of BREAKDOWN_COMPARISON.variants.slice(1)) {
    assert.equal(variant.spec.variant, "chain", variant.name);
  }
});
