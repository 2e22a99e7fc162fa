/**
 * Request validation: a blank, empty or over-long name must be refused with
 * `INVALID_ARGUMENT` on every pattern, not turned into `INTERNAL` or a
 * greeting.
 *
 * On the streaming-in patterns the bad name comes first and a good one
 * follows, so a server that mishandles only the last message is not
 * mistaken for one that validates nothing.
 *
 * @module
 */
import { MAX_NAME_CHARS } from "../../shared/defaults.ts";
import { callPattern, expectStatus, PATTERNS } from "./_calls.ts";
import type { Scenario } from "./scenario.ts";

const BAD_NAMES: readonly { kind: string; name: string }[] = [
  { kind: "blank-name", name: " \t " },
  { kind: "empty-name", name: "" },
  { kind: "overlong-name", name: "x".repeat(MAX_NAME_CHARS + 1) },
];

/** `<pattern>-<kind>` for each pattern and bad name: 12 scenarios. */
export function validationScenarios(): Scenario[] {
  return PATTERNS.flatMap((pattern) =>
    BAD_NAMES.map(({ kind, name }): Scenario => ({
      name: `${pattern}-${kind}`,
      group: "validation",
      expected: "INVALID_ARGUMENT",
      needs: ["token"],
      run: (ctx) =>
        expectStatus("INVALID_ARGUMENT", () => callPattern(ctx.client!, pattern, [name, "Ada"])),
    }))
  );
}
