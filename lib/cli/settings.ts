/**
 * One table-driven reader for every command line in the project (server,
 * client and its subcommands, bench, scripts).
 *
 * A command declares its settings once, as a table of rows: the flag, the
 * environment variable (optional either way), the kind of value with its
 * range, the default and a help line. {@linkcode readSettings} parses
 * `--flag value` and `--flag=value` alike, validates every value against its
 * row, and lets a flag win over its environment variable;
 * {@linkcode usageLines} writes the `--help` text and {@linkcode envNames}
 * the environment allow-list from the same table, so the three cannot drift.
 * Every mistake is a {@linkcode ConfigError} of one line naming the setting.
 *
 * @example Declaring and reading a table
 * ```ts
 * const TABLE = {
 *   port: { flag: "port", env: "GREETER_PORT", kind: "int", min: 0, max: 65535, default: 50051, help: "listen port" },
 *   basic: { flag: "basic", kind: "switch", help: "plaintext, no auth" },
 * } as const satisfies SettingsTable;
 * const { values } = readSettings(TABLE, ["--port=0", "--basic"], { GREETER_PORT: "1" });
 * values.port; // 0 (number): the flag wins
 * values.basic; // true
 * ```
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";

/** Fields every row has, whatever its kind. */
export interface SettingBase {
  /** Flag name without the dashes (`"tls-cert"`); absent: environment only. */
  readonly flag?: string;
  /** Environment variable (`"GREETER_TLS_CERT"`); absent: flag only. */
  readonly env?: string;
  /** One line for `--help` and the README: what the setting does. */
  readonly help: string;
  /** Placeholder for the value in `--help` (`FILE`, `MS`). @default by kind */
  readonly valueName?: string;
  /** The default in words, when it is not a plain value (`"dev certificate"`). */
  readonly defaultText?: string;
  /**
   * Subcommands the setting belongs to; absent: all of them. `--help` prefixes
   * the help line with them, and under a pass-through subcommand (see
   * {@linkcode ReadSettingsOptions.passThrough}) a flag that does not belong to
   * it is passed through untouched.
   */
  readonly commands?: readonly string[];
}

/** Text; `"path"` is a file name (only the help placeholder differs). */
export interface StringSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "string" | "path";
  /** Value when neither flag nor environment gives one. */
  readonly default?: string;
  /**
   * Extra validation: returns what is wrong (`"must not be blank"`), or
   * `undefined` when the value is fine.
   */
  readonly check?: (value: string) => string | undefined;
  /**
   * Value of the flag given bare (followed by another flag, or last), making
   * the value optional: `--json` means `--json -`.
   */
  readonly bareValue?: string;
}

/** A whole number in `[min, max]`. */
export interface IntSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "int";
  /** Smallest accepted value. */
  readonly min: number;
  /** Largest accepted value. @default Number.MAX_SAFE_INTEGER */
  readonly max?: number;
  /** Value when neither flag nor environment gives one. */
  readonly default?: number;
}

/** A finite number above `above` (a rate, a ratio). */
export interface NumberSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "number";
  /** The value must be greater than this. */
  readonly above: number;
  /** Value when neither flag nor environment gives one. */
  readonly default?: number;
}

/** One of a fixed list of words. */
export interface EnumSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "enum";
  /** The accepted words. */
  readonly choices: readonly string[];
  /** Value when neither flag nor environment gives one. */
  readonly default?: string;
}

/**
 * On or off: the flag alone (`--basic`) or `--basic=true|false`; in the
 * environment `1|true|yes` or `0|false|no`. Off unless given.
 */
export interface SwitchSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "switch";
}

/**
 * A duration, read as milliseconds: `500ms`, `4s`, `2m`, `1.5s`; a bare
 * number is in {@linkcode DurationSetting.bareUnit}.
 */
export interface DurationSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "duration";
  /** Unit of a bare number. @default "s" */
  readonly bareUnit?: DurationUnit;
  /** Shortest accepted duration, ms. @default 1 (zero is refused) */
  readonly minMs?: number;
  /** Value in ms when neither flag nor environment gives one. */
  readonly default?: number;
}

/** A comma-separated list; blanks are dropped (`"a, b,"` is `["a", "b"]`). */
export interface ListSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "list";
  /** Value when neither flag nor environment gives one. @default [] */
  readonly default?: readonly string[];
}

/** Two values after one flag (`--compare A.json B.json`); flag only. */
export interface PairSetting extends SettingBase {
  /** Kind of value. */
  readonly kind: "pair";
}

/** One row of a settings table. */
export type Setting =
  | StringSetting
  | IntSetting
  | NumberSetting
  | EnumSetting
  | SwitchSetting
  | DurationSetting
  | ListSetting
  | PairSetting;

/** A command's settings, keyed by the name its code reads them under. */
export type SettingsTable = Readonly<Record<string, Setting>>;

/** Units a duration may carry. */
export type DurationUnit = "ms" | "s" | "m";

/** The type a row reads to. */
export type SettingValue<S> = S extends { readonly kind: "switch" } ? boolean
  : S extends { readonly kind: "int" | "number" | "duration" } ? number
  : S extends { readonly kind: "enum"; readonly choices: readonly (infer C)[] } ? C
  : S extends { readonly kind: "list" } ? readonly string[]
  : S extends { readonly kind: "pair" } ? readonly [string, string]
  : string;

/** What {@linkcode readSettings} returns for a table: a value, or `undefined` when unset without a default. */
export type SettingValues<T extends SettingsTable> = {
  readonly [K in keyof T]: T[K] extends
    { readonly kind: "switch" | "list" } | { readonly default: unknown } ? SettingValue<T[K]>
    : SettingValue<T[K]> | undefined;
};

/** Where a value came from. */
export type SettingSource = "flag" | "env" | "default";

/** Options for {@linkcode readSettings}. */
export interface ReadSettingsOptions<C extends string = string> {
  /** Subcommand words; the first one among the arguments is the command. @default none */
  readonly commands?: readonly C[];
  /**
   * Subcommands that own further flags of their own: once one of them is the
   * command, unknown flags, flags of other subcommands and positional
   * arguments are passed through, in order, to
   * {@linkcode ReadSettingsResult.rest}, for that subcommand's own table.
   * @default none
   */
  readonly passThrough?: readonly C[];
  /** Accept `--` and pass what follows to `rest`. @default false */
  readonly allowRest?: boolean;
}

/** The outcome of {@linkcode readSettings}. */
export interface ReadSettingsResult<T extends SettingsTable, C extends string = string> {
  /** The subcommand, when one was given. */
  readonly command?: C;
  /** Each setting's validated value (frozen). */
  readonly values: SettingValues<T>;
  /** Where each value came from. */
  readonly sources: { readonly [K in keyof T]: SettingSource };
  /** Arguments after `--`, and everything a pass-through subcommand owns. */
  readonly rest: readonly string[];
  /**
   * How to name a setting in a message: its flag when the value came from
   * the flag (or the row has no variable), else its variable.
   */
  label(key: keyof T & string): string;
}

/**
 * Parses `args` and `env` against `table`: flags win over the environment,
 * which wins over the row's default; an empty variable counts as unset.
 *
 * @param table the command's settings
 * @param args command-line arguments (`Deno.args`)
 * @param env the environment; only the table's variables are looked at
 * @param options subcommands and pass-through
 * @returns the validated values, where each came from, and what was passed through
 * @throws {ConfigError} for an unknown flag, a missing value, a value out of
 *   range or an unexpected argument: one line naming the setting
 *
 * @example
 * ```ts
 * const { values, command } = readSettings(SERVER_SETTINGS, Deno.args, readEnv(envNames(SERVER_SETTINGS)), {
 *   commands: ["serve", "certs"],
 * });
 * ```
 */
export function readSettings<T extends SettingsTable, C extends string = string>(
  table: T,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: ReadSettingsOptions<C> = {},
): ReadSettingsResult<T, C> {
  const byFlag = new Map<string, [string, Setting]>();
  for (const [key, setting] of Object.entries(table)) {
    if (setting.flag !== undefined) byFlag.set(setting.flag, [key, setting]);
  }
  const commands: readonly string[] = options.commands ?? [];
  const given = new Map<string, string | [string, string]>();
  /** The arguments each given flag was read from, to pass them on if they are not ours. */
  const raw = new Map<string, string[]>();
  const rest: string[] = [];
  let command: C | undefined;
  const passThrough: readonly string[] = options.passThrough ?? [];
  const passingThrough = () => command !== undefined && passThrough.includes(command);

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--" && (options.allowRest || passingThrough())) {
      rest.push(...args.slice(i + 1));
      break;
    }
    const isHelpAlias = arg === "-h" && byFlag.has("help");
    if (
      !arg.startsWith("-") || arg === "-" ||
      (arg.startsWith("-") && !arg.startsWith("--") && !isHelpAlias)
    ) {
      if (arg.startsWith("-") && arg !== "-" && !passingThrough()) {
        throw new ConfigError(`unknown flag ${arg} (see --help)`);
      }
      if (command === undefined && commands.includes(arg)) command = arg as C;
      else if (passingThrough()) rest.push(arg);
      else {
        const known = commands.length > 0 ? `; commands are ${commands.join(", ")}` : "";
        throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}${known} (see --help)`);
      }
      continue;
    }
    const eq = arg.indexOf("=");
    const name = isHelpAlias ? "help" : arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const entry = byFlag.get(name);
    const foreign = entry !== undefined && passingThrough() && entry[1].commands !== undefined &&
      !entry[1].commands.includes(command!);
    if (entry === undefined || foreign) {
      if (passingThrough()) {
        rest.push(arg);
        continue;
      }
      throw new ConfigError(`unknown flag --${name} (see --help)${suggest(name, byFlag.keys())}`);
    }
    const [key, setting] = entry;
    const start = i;
    const take = (value: string | [string, string]) => {
      given.set(key, value);
      raw.set(key, args.slice(start, i + 1));
    };
    if (setting.kind === "switch") {
      if (inline !== undefined && inline !== "true" && inline !== "false") {
        throw new ConfigError(
          `--${name} takes no value or =true / =false, got ${JSON.stringify(inline)}`,
        );
      }
      take(inline ?? "true");
      continue;
    }
    const next = (): string | undefined => {
      const value = args[i + 1];
      if (value === undefined || (value.startsWith("--") && value.length > 2)) return undefined;
      i++;
      return value;
    };
    if (setting.kind === "pair") {
      const first = inline ?? next();
      const second = first === undefined ? undefined : next();
      if (second === undefined) throw new ConfigError(`--${name} needs 2 values`);
      take([first!, second]);
      continue;
    }
    const value = inline ?? next() ??
      (setting.kind === "string" || setting.kind === "path" ? setting.bareValue : undefined);
    if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    take(value);
  }
  if (passingThrough()) {
    // Flags of other subcommands given before the command word belong to it too.
    const before: string[] = [];
    for (const [key, tokens] of raw) {
      const scope = table[key].commands;
      if (scope !== undefined && !scope.includes(command!)) {
        given.delete(key);
        before.push(...tokens);
      }
    }
    rest.unshift(...before);
  }

  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const [key, setting] of Object.entries(table)) {
    const fromFlag = given.get(key);
    const fromEnv = setting.env === undefined ? undefined : env[setting.env];
    if (fromFlag !== undefined) {
      sources[key] = "flag";
      values[key] = Array.isArray(fromFlag)
        ? Object.freeze([...fromFlag])
        : convert(setting, fromFlag, `--${setting.flag}`);
    } else if (fromEnv !== undefined && fromEnv !== "") {
      sources[key] = "env";
      values[key] = convert(setting, fromEnv, setting.env!);
    } else {
      sources[key] = "default";
      values[key] = defaultOf(setting);
    }
  }
  const label = (key: keyof T & string): string => {
    const setting = table[key];
    return sources[key] === "env" || setting.flag === undefined
      ? setting.env!
      : `--${setting.flag}`;
  };
  return Object.freeze({
    ...(command === undefined ? {} : { command }),
    values: Object.freeze(values) as SettingValues<T>,
    sources: Object.freeze(sources) as ReadSettingsResult<T, C>["sources"],
    rest: Object.freeze(rest),
    label,
  });
}

function defaultOf(setting: Setting): unknown {
  switch (setting.kind) {
    case "switch":
      return false;
    case "list":
      return Object.freeze([...(setting.default ?? [])]);
    case "pair":
      return undefined;
    default:
      return setting.default;
  }
}

/** Validates one raw value against its row; `label` is how the user gave it. */
function convert(setting: Setting, raw: string, label: string): unknown {
  const fail = (problem: string): never => {
    const both = setting.flag !== undefined && setting.env !== undefined
      ? ` (flag --${setting.flag}, env ${setting.env})`
      : "";
    throw new ConfigError(`${label} ${problem}, got ${JSON.stringify(raw)}${both}`);
  };
  switch (setting.kind) {
    case "switch":
      if (/^(1|true|yes)$/i.test(raw)) return true;
      if (/^(0|false|no)$/i.test(raw)) return false;
      return fail("must be true or false");
    case "int": {
      const max = setting.max ?? Number.MAX_SAFE_INTEGER;
      const value = Number(raw);
      if (
        !/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < setting.min ||
        value > max
      ) {
        return fail(`must be ${intRange(setting.min, max)}`);
      }
      return value;
    }
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value) || value <= setting.above) {
        return fail(
          setting.above === 0
            ? "must be a positive number"
            : `must be a number above ${setting.above}`,
        );
      }
      return value;
    }
    case "enum":
      if (!setting.choices.includes(raw)) {
        return fail(`must be one of ${setting.choices.join(", ")}`);
      }
      return raw;
    case "duration": {
      const ms = parseDuration(raw, setting.bareUnit ?? "s");
      const min = setting.minMs ?? 1;
      if (ms === undefined || ms < min) {
        return fail(
          `must be a ${min > 0 ? "positive " : ""}duration like 10s, 500ms or 2m` +
            (min > 1 ? ` (at least ${min} ms)` : ""),
        );
      }
      return ms;
    }
    case "list":
      return Object.freeze(raw.split(",").map((s) => s.trim()).filter((s) => s !== ""));
    case "pair":
      return fail("takes two values");
    case "string":
    case "path": {
      const problem = setting.check?.(raw);
      if (problem !== undefined) {
        const both = setting.flag !== undefined && setting.env !== undefined
          ? ` (flag --${setting.flag}, env ${setting.env})`
          : "";
        throw new ConfigError(`${label} ${problem}${both}`);
      }
      return raw;
    }
  }
}

function intRange(min: number, max: number): string {
  if (max !== Number.MAX_SAFE_INTEGER) return `a whole number from ${min} to ${max}`;
  return min === 1 ? "a positive whole number" : `a whole number of at least ${min}`;
}

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000 };

/**
 * Reads a duration: `500ms`, `4s`, `2m`, `1.5s`, or a bare number in `bareUnit`.
 *
 * @param raw the text
 * @param bareUnit unit of a bare number
 * @returns whole milliseconds, or `undefined` when `raw` is not a duration
 *
 * @example
 * ```ts
 * parseDuration("4s", "s"); // 4000
 * parseDuration("4", "s"); // 4000
 * parseDuration("four", "s"); // undefined
 * ```
 */
export function parseDuration(raw: string, bareUnit: DurationUnit): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] as DurationUnit | undefined) ?? bareUnit]);
}

/** ` (did you mean --port?)` for a near miss, else "". */
function suggest(name: string, flags: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const flag of flags) {
    const distance = editDistance(name, flag);
    if (distance < bestDistance) [best, bestDistance] = [flag, distance];
  }
  return best === undefined ? "" : `; did you mean --${best}?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The environment variables `table` reads, for the entry's env reader and
 * the permission allow-list.
 *
 * @param table the command's settings
 * @returns every row's variable, in table order
 *
 * @example
 * ```ts
 * const env = readEnv(envNames(SERVER_SETTINGS));
 * ```
 */
export function envNames(table: SettingsTable): readonly string[] {
  return Object.values(table).flatMap((setting) => setting.env === undefined ? [] : [setting.env]);
}

/**
 * Reads the given environment variables and no others (each needs
 * `--allow-env` for its name; the permission sets allow `GREETER_*`).
 *
 * @param names variables to read
 * @returns each name mapped to its value, or `undefined` when unset
 *
 * @example
 * ```ts
 * readEnv(["GREETER_PORT"]); // { GREETER_PORT: "50051" } or { GREETER_PORT: undefined }
 * ```
 */
export function readEnv(names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, Deno.env.get(name)]));
}

/**
 * The default of a row as `--help` and the README show it, or `undefined`
 * when it has none.
 *
 * @param setting one row
 * @returns the default in words
 */
export function defaultText(setting: Setting): string | undefined {
  if (setting.defaultText !== undefined) return setting.defaultText;
  switch (setting.kind) {
    case "switch":
      return undefined;
    case "duration":
      return setting.default === undefined ? undefined : formatDuration(setting.default);
    case "list":
      return setting.default === undefined || setting.default.length === 0
        ? undefined
        : setting.default.join(",");
    case "pair":
      return undefined;
    default:
      return setting.default === undefined ? undefined : String(setting.default);
  }
}

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const VALUE_NAMES: Record<Setting["kind"], string> = {
  string: "VALUE",
  path: "FILE",
  int: "N",
  number: "N",
  enum: "VALUE",
  switch: "",
  duration: "DURATION",
  list: "A,B",
  pair: "A B",
};

/** How a row's flag is written in `--help`: `--port N`, `--basic`, or the variable alone. */
export function flagSyntax(setting: Setting): string {
  if (setting.flag === undefined) return setting.env ?? "";
  const valueName = setting.valueName ??
    (setting.kind === "enum" ? setting.choices.join("|") : VALUE_NAMES[setting.kind]);
  return valueName === "" ? `--${setting.flag}` : `--${setting.flag} ${valueName}`;
}

/** A row's help prefixed with the subcommands it belongs to (`scenarios: print ...`). */
function scopedHelp(setting: Setting): string {
  return setting.commands === undefined
    ? setting.help
    : `${setting.commands.join(", ")}: ${setting.help}`;
}

/** Help line of a row: the text, its subcommands, its variable and its default. */
export function helpText(setting: Setting): string {
  const fallback = defaultText(setting);
  const env = setting.env === undefined || setting.flag === undefined ? "" : ` [${setting.env}]`;
  return `${scopedHelp(setting)}${env}${fallback === undefined ? "" : ` (default ${fallback})`}`;
}

/**
 * The `--help` lines of a table: per row, the flag and its value, then the
 * help text, the environment variable in brackets and the default, wrapped
 * at `lineWidth` with continuation lines indented to the help column.
 *
 * @param table the command's settings
 * @param width column where the help text starts
 * @param lineWidth longest line, where the help text wraps
 * @returns the lines, indented by two spaces
 *
 * @example
 * ```ts
 * console.log(["Usage: deno task server [flags]", "", ...usageLines(SERVER_SETTINGS)].join("\n"));
 * ```
 */
export function usageLines(table: SettingsTable, width = 32, lineWidth = 100): string[] {
  return Object.values(table).flatMap((setting) => {
    const left = `  ${flagSyntax(setting)}`;
    const lines = [left.length < width ? left.padEnd(width) : `${left}  `];
    for (const word of helpText(setting).split(" ")) {
      const last = lines[lines.length - 1];
      const fresh = last.trim() === "" || last.length === width || last.endsWith("  ");
      if (!fresh && last.length + 1 + word.length > lineWidth) lines.push(" ".repeat(width) + word);
      else lines[lines.length - 1] = fresh ? last + word : `${last} ${word}`;
    }
    return lines;
  });
}

/**
 * The rows of a Markdown table (variable, flag, default, meaning) for the
 * README, one array of cell texts per row; tests compare the README to it.
 *
 * @param table the command's settings
 * @returns cells per row, without the header
 */
export function markdownRows(table: SettingsTable): string[][] {
  return Object.values(table).filter((setting) => setting.flag !== "help").map((setting) => {
    const fallback = defaultText(setting);
    return [
      setting.env === undefined ? "" : `\`${setting.env}\``,
      setting.flag === undefined ? "(none, by design)" : `\`--${setting.flag}\``,
      fallback === undefined
        ? setting.kind === "switch" ? "off" : "none"
        : setting.defaultText === undefined
        ? `\`${fallback}\``
        : fallback,
      scopedHelp(setting),
    ];
  });
}
