/**
 * `deno task client bench [flags]` (also `deno task bench`): load mode. The
 * target, TLS and token settings are the client's own (see `CLIENT_USAGE`);
 * the bench's flags arrive in {@linkcode ClientConfig.rest} and are parsed
 * here by {@linkcode parseBenchArgs}.
 *
 * Each chosen pattern runs in turn on the same connections: optional warm-up,
 * then a measured run of `--calls` calls or `--duration`, closed loop or at a
 * `--rate`. The report is printed per pattern; `--json FILE|-` keeps the
 * figures as a `greeter-bench/1` document, and `--compare A.json B.json`
 * prints two such documents side by side without dialling anything.
 *
 * @module
 */
import { ConfigError } from "../cli/config_error.ts";
import { parseDuration, readSettings, type SettingsTable, usageLines } from "../cli/settings.ts";
import type { ClientConfig } from "../client/config.ts";
import { clientOptionsFromConfig, tokenProviderFromConfig } from "../client/from_config.ts";
import type { GreeterConnection } from "../client/greeter_client.ts";
import { openSeparateConnections } from "./connections.ts";
import { MAX_STREAM_COUNT } from "../shared/defaults.ts";
import { isRpcKind, RPC_KINDS, type RpcKind } from "../shared/rpc_kinds.ts";
import { type LoadResult, runLoad } from "./load_runner.ts";
import { createPatternCall } from "./bench_calls.ts";
import { createProgressLine, type ProgressOutput } from "./progress.ts";
import { formatComparison } from "./bench_comparison.ts";
import { parseBenchJson } from "./bench_json_parser.ts";
import { toJson } from "./bench_json_writer.ts";
import { BenchJsonError, type BenchMeta } from "./bench_schema.ts";
import { formatReport } from "./bench_text_report.ts";

/** What the bench flags ask for; see {@linkcode BENCH_USAGE}. */
export interface BenchSettings {
  /** Patterns to run, in order. @default all four */
  readonly patterns: readonly RpcKind[];
  /** Measured calls per pattern (`--calls`). */
  readonly totalCalls?: number;
  /** Measurement window per pattern, ms (`--duration`); 10 s when neither limit is given. */
  readonly durationMs?: number;
  /** Workers, i.e. most calls in flight (`--concurrency`). @default 16 */
  readonly concurrency: number;
  /** Separate connections the workers share (`--channels`). @default 1 */
  readonly channels: number;
  /** Target calls per second, open loop (`--rate`); closed loop without it. */
  readonly ratePerSecond?: number;
  /** Messages per streaming call (`--messages`). @default 10 */
  readonly messages: number;
  /** Warm-up calls per pattern (`--warmup N`). */
  readonly warmupCalls?: number;
  /** Warm-up window per pattern, ms (`--warmup 2s`); 1 s when `--warmup` is not given. */
  readonly warmupMs?: number;
  /** Where the JSON document goes: a path, or `"-"` for standard output. */
  readonly jsonFile?: string;
  /** Two bench JSON files to compare instead of running (`--compare A B`). */
  readonly compare?: readonly [string, string];
}

/**
 * The bench's own settings (flags only; the target, TLS, token and deadline
 * are the client's). Parsing, validation and {@linkcode BENCH_USAGE} come
 * from this one table.
 */
export const BENCH_SETTINGS = {
  pattern: {
    flag: "pattern",
    kind: "string",
    default: "all",
    valueName: "P",
    help: `${RPC_KINDS.join(" | ")} | all, or a comma list`,
  },
  calls: { flag: "calls", kind: "int", min: 1, help: "measured calls per pattern" },
  duration: {
    flag: "duration",
    kind: "duration",
    defaultText: "10s",
    help: "measurement window per pattern, e.g. 10s, 500ms, 2m; a bare number is seconds " +
      "(with --calls too, whichever limit comes first)",
  },
  concurrency: {
    flag: "concurrency",
    kind: "int",
    min: 1,
    default: 16,
    help: "calls in flight at once",
  },
  channels: {
    flag: "channels",
    kind: "int",
    min: 1,
    default: 1,
    help: "separate connections the calls are spread over",
  },
  rate: {
    flag: "rate",
    kind: "number",
    above: 0,
    valueName: "R",
    defaultText: "as fast as answered",
    help: "target calls per second, open loop",
  },
  messages: {
    flag: "messages",
    kind: "int",
    min: 1,
    default: 10,
    help: `messages per streaming call (server-stream at most ${MAX_STREAM_COUNT})`,
  },
  warmup: {
    flag: "warmup",
    kind: "string",
    defaultText: "1s",
    valueName: "W",
    help: "warm-up per pattern: N calls or a duration like 2s (0 for none)",
    check: (value) =>
      /^\d+$/.test(value.trim()) || parseDuration(value, "s") !== undefined
        ? undefined
        : `must be a number of calls or a duration like 10s, 500ms or 2m, got ${
          JSON.stringify(value)
        }`,
  },
  json: {
    flag: "json",
    kind: "path",
    bareValue: "-",
    valueName: "FILE|-",
    help: "also write the figures as JSON to FILE, or only JSON to stdout with - (or nothing)",
  },
  compare: {
    flag: "compare",
    kind: "pair",
    help: "compare two JSON files (ratios B/A) and exit",
  },
} as const satisfies SettingsTable;

/** Bench flags, for `--help`, generated from {@linkcode BENCH_SETTINGS}. */
export const BENCH_USAGE: string = [
  "Usage: deno task bench [client flags] [bench flags]",
  "       deno task bench --compare A.json B.json",
  "",
  "Target, TLS and token flags are the client's (deno task client --help), among them",
  "--deadline MS, the deadline of every call.",
  "",
  "Bench flags:",
  ...usageLines(BENCH_SETTINGS),
  "",
].join("\n");

const DEFAULT_DURATION_MS = 10_000;
const DEFAULT_WARMUP_MS = 1_000;

/**
 * Parses the bench's own flags: what the client's parser passed through
 * ({@linkcode ClientConfig.rest}), read against {@linkcode BENCH_SETTINGS}.
 *
 * @param rest the arguments the client's parser passed through
 * @returns the validated settings
 * @throws {ConfigError} naming the flag and what is wrong
 *
 * @example
 * ```ts
 * parseBenchArgs(["--pattern", "unary", "--duration", "5s", "--json", "out.json"]);
 * ```
 */
export function parseBenchArgs(rest: readonly string[]): BenchSettings {
  const { values, sources } = readSettings(BENCH_SETTINGS, rest, {});
  const jsonFile = values.json;
  if (values.compare !== undefined) {
    const others = Object.keys(BENCH_SETTINGS).filter((key) =>
      key !== "compare" && key !== "json" && sources[key as keyof typeof BENCH_SETTINGS] === "flag"
    );
    if (others.length > 0) {
      throw new ConfigError(`--compare cannot be combined with --${others[0]}`);
    }
    return Object.freeze({
      patterns: [],
      concurrency: values.concurrency,
      channels: values.channels,
      messages: values.messages,
      compare: values.compare,
      ...(jsonFile === undefined ? {} : { jsonFile }),
    });
  }

  const patterns = parsePatterns(values.pattern);
  const totalCalls = values.calls;
  let durationMs = values.duration;
  if (totalCalls === undefined && durationMs === undefined) durationMs = DEFAULT_DURATION_MS;
  const { concurrency, channels, messages } = values;
  if (channels > concurrency) {
    throw new ConfigError(
      `--channels ${channels} is more than --concurrency ${concurrency}: some would carry no call`,
    );
  }
  const ratePerSecond = values.rate;
  if (patterns.includes("server-stream") && messages > MAX_STREAM_COUNT) {
    throw new ConfigError(
      `--messages ${messages} is more than the ${MAX_STREAM_COUNT} replies the server streams at most`,
    );
  }
  const warmup = values.warmup;
  let warmupCalls: number | undefined;
  let warmupMs: number | undefined;
  if (warmup === undefined) warmupMs = DEFAULT_WARMUP_MS;
  else if (/^\d+$/.test(warmup.trim())) {
    const n = Number(warmup);
    if (n > 0) warmupCalls = n;
  } else {
    const ms = parseDuration(warmup, "s")!; // checked by the table
    if (ms > 0) warmupMs = ms;
  }
  return Object.freeze({
    patterns: Object.freeze(patterns),
    concurrency,
    channels,
    messages,
    ...(totalCalls === undefined ? {} : { totalCalls }),
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
    ...(warmupCalls === undefined ? {} : { warmupCalls }),
    ...(warmupMs === undefined ? {} : { warmupMs }),
    ...(jsonFile === undefined ? {} : { jsonFile }),
  });
}

/** Side effects of {@linkcode runBench}, injectable for tests. */
export interface BenchIo {
  /** Report text. @default writes to Deno.stdout */
  stdout?: (text: string) => void;
  /** Notes and errors. @default writes to Deno.stderr */
  stderr?: (text: string) => void;
  /** Where the live progress line goes (only drawn on a terminal). @default Deno.stderr */
  progressOutput?: ProgressOutput;
  /** Reads a `--compare` file. @default Deno.readTextFile */
  readTextFile?: (path: string) => Promise<string>;
  /** Writes the `--json FILE`. @default Deno.writeTextFile */
  writeTextFile?: (path: string, text: string) => Promise<void>;
  /** Stops the run early (the figures so far are still reported). @default Ctrl-C */
  signal?: AbortSignal;
}

/** Exit code: every measured call was OK. */
export const EXIT_OK = 0;
/** Exit code: some measured call failed, or the target could not be reached. */
export const EXIT_FAILED = 1;
/** Exit code: a bench flag was wrong, or a `--compare` file unreadable. */
export const EXIT_USAGE = 2;

/**
 * Runs the bench the config asks for and resolves to the exit code:
 * {@linkcode EXIT_OK} when every measured call ended OK, {@linkcode EXIT_FAILED}
 * when any did not (or nothing answered), {@linkcode EXIT_USAGE} for a bad flag.
 *
 * @param config the loaded client config (`command` is `"bench"`; its `rest` holds the bench flags)
 * @param io output, files and abort signal; the defaults are the real ones
 * @returns the process exit code
 *
 * @example
 * ```ts
 * const code = await runBench(loadClientConfig(["bench", "--pattern", "unary"], env));
 * ```
 */
export async function runBench(config: ClientConfig, io: BenchIo = {}): Promise<number> {
  const stdout = io.stdout ?? writer(Deno.stdout);
  const stderr = io.stderr ?? writer(Deno.stderr);
  if (config.help) {
    stdout(BENCH_USAGE);
    return EXIT_OK;
  }
  let settings: BenchSettings;
  try {
    settings = parseBenchArgs(config.rest);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr(`error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (settings.compare !== undefined) return await compare(settings.compare, io, stdout, stderr);

  const choice = tokenProviderFromConfig(config);
  if (choice.provider === null) stderr(`note: calls carry no token (${choice.reason})\n`);
  const base = clientOptionsFromConfig(config, choice.provider);
  const connections: GreeterConnection[] = [];
  let sigint: (() => void) | undefined;
  try {
    connections.push(...openSeparateConnections(base, settings.channels));
    const unreachable = await firstUnready(connections, config.deadlineMs);
    if (unreachable !== undefined) {
      stderr(`error: cannot reach ${config.target}: ${unreachable}\n`);
      return EXIT_FAILED;
    }

    let signal = io.signal;
    if (signal === undefined) {
      const controller = new AbortController();
      sigint = () => controller.abort();
      Deno.addSignalListener("SIGINT", sigint);
      signal = controller.signal;
    }
    const progress = createProgressLine({ output: io.progressOutput ?? Deno.stderr });
    const results: Record<string, LoadResult> = {};
    for (const pattern of settings.patterns) {
      if (signal.aborted) break;
      const call = createPatternCall(pattern, {
        connections,
        messages: settings.messages,
        deadlineMs: config.deadlineMs,
      });
      results[pattern] = await runLoad({
        call,
        concurrency: settings.concurrency,
        totalCalls: settings.totalCalls,
        durationMs: settings.durationMs,
        warmupCalls: settings.warmupCalls,
        warmupMs: settings.warmupMs,
        ratePerSecond: settings.ratePerSecond,
        signal,
        onProgress: progress.enabled ? (s) => progress.update(pattern, s) : undefined,
        progressIntervalMs: 250,
      });
      progress.clear();
    }

    const meta: BenchMeta = {
      target: config.target,
      concurrency: settings.concurrency,
      channels: settings.channels,
      durationMs: settings.durationMs,
      totalCalls: settings.totalCalls,
      ratePerSecond: settings.ratePerSecond,
      warmupCalls: settings.warmupCalls,
      warmupMs: settings.warmupMs,
    };
    const report = formatReport(results, meta) +
      `  (streaming calls carry ${settings.messages} messages each)\n`;
    if (settings.jsonFile === "-") {
      // Standard output holds the document alone, so it can be piped; the report goes to stderr.
      stdout(toJson(results, meta));
      stderr(report);
    } else {
      stdout(report);
      if (settings.jsonFile !== undefined) {
        try {
          await (io.writeTextFile ?? Deno.writeTextFile)(settings.jsonFile, toJson(results, meta));
        } catch (error) {
          const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
          stderr(`error: --json: cannot write ${settings.jsonFile}: ${reason}\n`);
          return EXIT_USAGE;
        }
        stderr(`wrote ${settings.jsonFile}\n`);
      }
    }
    const allOk = Object.values(results).every((r) =>
      r.calls > 0 && Object.keys(r.statuses).every((status) => status === "OK")
    );
    return allOk ? EXIT_OK : EXIT_FAILED;
  } finally {
    if (sigint !== undefined) Deno.removeSignalListener("SIGINT", sigint);
    for (const connection of connections) connection.close();
  }
}

async function compare(
  [pathA, pathB]: readonly [string, string],
  io: BenchIo,
  stdout: (text: string) => void,
  stderr: (text: string) => void,
): Promise<number> {
  const read = io.readTextFile ?? Deno.readTextFile;
  try {
    const [a, b] = await Promise.all(
      [pathA, pathB].map(async (path) => parseBenchJson(await read(path), path)),
    );
    stdout(formatComparison(a, b, { labelA: pathA, labelB: pathB }));
    return EXIT_OK;
  } catch (error) {
    const reason = error instanceof BenchJsonError
      ? error.message
      : `cannot read a --compare file: ${(error as Error).message.split("\n")[0]}`;
    stderr(`error: ${reason}\n`);
    return EXIT_USAGE;
  }
}

/** Waits until every connection is ready; resolves to the first failure's reason, if any. */
async function firstUnready(
  connections: readonly GreeterConnection[],
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = new Date(Date.now() + timeoutMs);
  const reasons = await Promise.all(
    connections.map((connection) =>
      new Promise<string | undefined>((resolve) =>
        connection.raw.waitForReady(deadline, (error) => resolve(error?.message))
      )
    ),
  );
  return reasons.find((reason) => reason !== undefined);
}

function parsePatterns(value: string): RpcKind[] {
  if (value === "all") return [...RPC_KINDS];
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new ConfigError("--pattern must name at least one pattern");
  for (const name of names) {
    if (!isRpcKind(name)) {
      throw new ConfigError(
        `--pattern ${JSON.stringify(name)} is not one of ${RPC_KINDS.join(", ")}, all`,
      );
    }
  }
  return [...new Set(names)] as RpcKind[];
}

function writer(stream: { writeSync(bytes: Uint8Array): number }): (text: string) => void {
  const encoder = new TextEncoder();
  return (text) => {
    const bytes = encoder.encode(text);
    for (let at = 0; at < bytes.length;) at += stream.writeSync(bytes.subarray(at));
  };
}
