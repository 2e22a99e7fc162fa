/**
 * The whole command line of a small script in one call: read its settings
 * table, print the usage for `--help`, and turn a mistake into one line and
 * exit code 2.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { ConfigError, EXIT_CONFIG } from "./config_error.ts";
import { readSettings, type SettingsTable, type SettingValues, usageLines } from "./settings.ts";

/** Side effects of {@linkcode readScriptSettings}, injectable for tests. */
export interface ScriptSettingsIo {
  /** Prints the usage. @default console.log */
  stdout?: (text: string) => void;
  /** Prints the one-line mistake. @default console.error */
  stderr?: (line: string) => void;
  /** Ends the process. @default Deno.exit */
  exit?: (code: number) => never;
}

/**
 * Reads a script's flags against `table`. With `--help` (when the table has a
 * `help` switch) it prints `Usage: <usage>` and the table's lines and exits 0;
 * on a mistake it prints `error: <one line>` and exits with code 2.
 *
 * @param table the script's settings
 * @param args `Deno.args`
 * @param usage what follows `Usage: `, for example `deno task bench:workers [flags]`
 * @param io output and exit, for tests
 * @returns the validated values
 *
 * @example
 * ```ts
 * const { rounds, duration } = readScriptSettings(TABLE, Deno.args, "deno task bench:x [flags]");
 * ```
 */
export function readScriptSettings<T extends SettingsTable>(
  table: T,
  args: readonly string[],
  usage: string,
  io: ScriptSettingsIo = {},
): SettingValues<T> {
  const exit = io.exit ?? Deno.exit;
  let values: SettingValues<T>;
  try {
    values = readSettings(table, args, {}).values;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    (io.stderr ?? console.error)(`error: ${error.message}`);
    return exit(EXIT_CONFIG);
  }
  if ((values as Record<string, unknown>).help === true) {
    (io.stdout ?? console.log)([`Usage: ${usage}`, "", ...usageLines(table)].join("\n"));
    return exit(0);
  }
  return values;
}

/**
 * The `--root` setting of the scripts that run `main.ts` of a checkout (this
 * one by default), so a change can be measured against another checkout.
 *
 * @param help what the script does with that checkout
 * @returns the setting, for a script's settings table
 *
 * @example
 * ```ts
 * const SETTINGS = { root: checkoutRootSetting("checkout whose main.ts is measured") };
 * ```
 */
export function checkoutRootSetting(help: string) {
  return {
    flag: "root",
    kind: "string",
    default: fileURLToPath(new URL("../../", import.meta.url)),
    help,
  } as const;
}
