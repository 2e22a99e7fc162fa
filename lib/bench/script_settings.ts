/**
 * The command lines of the bench scripts (`scripts/bench_*.ts`), one settings
 * table each; the defaults of the runs they start come from the same tables.
 *
 * @module
 */
import { readSettings, type SettingsTable, usageLines } from "../cli/settings.ts";
import { RPC_KINDS } from "../shared/rpc_kinds.ts";
import type { CompareOptions } from "./compare_servers.ts";

/**
 * The settings every server-comparison script shares (flags only). Parsing,
 * validation and {@linkcode scriptUsage} come from this one table.
 */
export const COMPARE_SETTINGS = {
  rounds: {
    flag: "rounds",
    kind: "int",
    min: 1,
    default: 5,
    help: "rounds; each measures every variant once",
  },
  durationMs: {
    flag: "duration",
    kind: "duration",
    default: 4000,
    help: "measurement window per variant and round, e.g. 4s or 500ms; a bare number is seconds",
  },
  settleMs: {
    flag: "settle",
    kind: "duration",
    minMs: 0,
    default: 3000,
    help: "load each server this long before the first round, unrecorded (0s: not at all)",
  },
  concurrency: { flag: "concurrency", kind: "int", min: 1, default: 32, help: "calls in flight" },
  channels: { flag: "channels", kind: "int", min: 1, default: 2, help: "connections per variant" },
  pattern: {
    flag: "pattern",
    kind: "enum",
    choices: RPC_KINDS,
    default: "unary",
    valueName: "P",
    help: `kind of call: ${RPC_KINDS.join(", ")}`,
  },
  messages: {
    flag: "messages",
    kind: "int",
    min: 1,
    default: 10,
    help: "messages per streaming call",
  },
  cpuProfileDir: {
    flag: "cpu-prof-dir",
    kind: "path",
    valueName: "DIR",
    help: "write a CPU profile of each server process into DIR",
  },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

/** The script's settings (flags only); the defaults of `measureStreamsMemory` too. */
export const STREAMS_MEMORY_SETTINGS = {
  streams: { flag: "streams", kind: "int", min: 1, default: 1000, help: "streams open at once" },
  channels: {
    flag: "channels",
    kind: "int",
    min: 1,
    default: 4,
    help: "connections they are spread over (at most 1000 streams each)",
  },
  cycles: { flag: "cycles", kind: "int", min: 1, default: 3, help: "open-hold-close cycles" },
  holdMs: {
    flag: "hold",
    kind: "duration",
    minMs: 0,
    default: 2000,
    help: "how long the streams are held open, e.g. 2s or 500ms; a bare number is seconds",
  },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

/** The script's settings (flags only). */
export const LOG_SINK_SETTINGS = {
  rounds: {
    flag: "rounds",
    kind: "int",
    min: 1,
    default: 7,
    help: "rounds, alternating the sinks",
  },
  lines: { flag: "lines", kind: "int", min: 4, default: 40_000, help: "call lines per run" },
  file: { flag: "file", kind: "path", default: "/dev/null", help: "where the lines are written" },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

/** `deno task bench:span-cost` (flags only): what a span costs under Deno's OpenTelemetry. */
export const SPAN_COST_SETTINGS = {
  rounds: { flag: "rounds", kind: "int", min: 1, default: 7, help: "runs of each mode" },
  calls: { flag: "calls", kind: "int", min: 1, default: 5000, help: "calls (spans) per run" },
  gap: {
    flag: "gap",
    kind: "int",
    min: 0,
    max: 100_000,
    default: 200,
    valueName: "US",
    help: "busy work between spans, in µs (a call's own work)",
  },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

/** `deno task bench:workers` (flags only): one worker against N. */
export const WORKERS_SETTINGS = {
  workers: {
    flag: "workers",
    kind: "int",
    min: 1,
    default: 2,
    help: "workers of the second server",
  },
  rounds: {
    flag: "rounds",
    kind: "int",
    min: 1,
    default: 5,
    help: "rounds; each drives both servers",
  },
  duration: {
    flag: "duration",
    kind: "duration",
    default: 3000,
    help: "measurement window per server and round, e.g. 3s or 500ms; a bare number is seconds",
  },
  concurrency: { flag: "concurrency", kind: "int", min: 1, default: 64, help: "calls in flight" },
  channels: { flag: "channels", kind: "int", min: 1, default: 8, help: "connections per server" },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

/**
 * `--help` of a bench script.
 *
 * @param command how the script is run, for the usage line
 * @param settings the script's table
 * @returns the help text
 *
 * @example
 * ```ts
 * console.log(scriptUsage("deno run -A scripts/bench_overhead.ts", COMPARE_SETTINGS));
 * ```
 */
export function scriptUsage(command: string, settings: SettingsTable): string {
  return [`Usage: ${command} [flags]`, "", ...usageLines(settings), ""].join("\n");
}

/**
 * Reads a comparison script's flags against {@linkcode COMPARE_SETTINGS}.
 *
 * @param args `Deno.args`
 * @returns whether `--help` was asked for, and the options the flags set (unset ones are
 *   absent: `compareServers` applies the defaults)
 * @throws {ConfigError} for an unknown flag or a bad value, naming it
 *
 * @example
 * ```ts
 * const { options } = scriptOptions(["--rounds", "3", "--duration", "4s"]);
 * ```
 */
export function scriptOptions(
  args: readonly string[],
): { help: boolean; options: Partial<CompareOptions> } {
  const { values, sources } = readSettings(COMPARE_SETTINGS, args, {});
  // Only what the flags set: compareServers applies the table's defaults, and a
  // script can tell "not given" (say, every pattern) from the default.
  const options = Object.fromEntries(
    Object.entries(values).filter(([key]) =>
      key !== "help" && sources[key as keyof typeof COMPARE_SETTINGS] === "flag"
    ),
  ) as Partial<CompareOptions>;
  return { help: values.help, options };
}
