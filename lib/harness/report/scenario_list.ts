/**
 * `--list`: the suite as aligned columns, one scenario a line, so a user can
 * find the names `--only` and `--skip` take.
 *
 * @module
 */
import type { Scenario } from "../scenarios/scenario.ts";

/**
 * Formats each scenario as `name  group  expected`, columns aligned. There is
 * no header, so every line is one scenario and the first word of each line
 * is a name (`deno task client --list | cut -d' ' -f1`).
 *
 * @param scenarios the suite, in report order
 * @returns one line per scenario, each ending with a newline; `""` for none
 *
 * @example
 * ```ts
 * io.stdout(formatScenarioList(allScenarios()));
 * ```
 */
export function formatScenarioList(
  scenarios: readonly Pick<Scenario, "name" | "group" | "expected">[],
): string {
  const nameWidth = Math.max(0, ...scenarios.map((s) => s.name.length));
  const groupWidth = Math.max(0, ...scenarios.map((s) => s.group.length));
  return scenarios
    .map((s) => `${s.name.padEnd(nameWidth)}  ${s.group.padEnd(groupWidth)}  ${s.expected}\n`)
    .join("");
}
