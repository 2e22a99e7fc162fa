import assert from "node:assert/strict";
import { median } from "../../lib/bench/median.ts";

Deno.test("median takes the middle value, or the mean of the middle two", async (t) => {
  const cases: { name: string; values: number[]; expected: number }[] = [
    { name: "an odd count gives the middle value", values: [3, 1, 2], expected: 2 },
    { name: "an even count gives the mean of the middle two", values: [4, 1, 3, 2], expected: 2.5 },
    { name: "one value is its own median", values: [7], expected: 7 },
  ];
  for (const c of cases) await t.step(c.name, () => assert.equal(median(c.values), c.expected));
  await t.step("no values give NaN", () => assert.ok(Number.isNaN(median([]))));
});
