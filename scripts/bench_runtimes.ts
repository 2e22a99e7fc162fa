/**
 * The Greeter against bare grpc-js on Node.js and on Deno, for every RPC
 * pattern: each pattern is one side-by-side comparison (`compareServers`) of
 * three server processes, with the Node.js server as the baseline of every
 * ratio:
 *
 * - `node-bare`: grpc-js on Node.js, TLS, no auth or logging
 *   (`lib/bench/node_bare_server.mjs`);
 * - `deno-bare`: the same on Deno (`lib/bench/bare_server.ts`);
 * - `full`: this project's server (TLS, JWT with the token cache, call
 *   logging at info, metrics; tracing off).
 *
 * Prints the rounds of each pattern, then one Markdown table: calls/s,
 * messages/s (both directions) and server CPU per call, each with its median
 * ratio to Node.js, and the full stack's ratios to bare Deno.
 *
 *   deno task bench:runtimes [--rounds 5] [--duration 4s] [--concurrency 32] [--channels 2]
 *     [--messages 10] [--pattern unary]
 *
 * Without `--pattern`, all four patterns are measured. Needs `node` on the PATH.
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import {
  compareServers,
  compareUsage,
  type Comparison,
  median,
  scriptOptions,
} from "../lib/bench/compare_servers.ts";
import { RPC_KINDS, type RpcKind } from "../lib/shared/rpc_kinds.ts";

const VARIANTS = [
  { name: "node-bare", spec: { variant: "node-bare" } },
  { name: "deno-bare", spec: { variant: "bare" } },
  { name: "full", spec: { variant: "full", logLevel: "info" } },
] as const;

const LABELS: Record<string, string> = {
  "node-bare": "Node.js, grpc-js, bare",
  "deno-bare": "Deno, grpc-js, bare",
  "full": "Deno, this project (TLS + JWT + logging + metrics)",
};

/**
 * One Markdown row per variant of one pattern's comparison.
 *
 * @param pattern the RPC pattern measured
 * @param result its comparison, with `node-bare` as the baseline
 * @returns the rows
 */
export function tableRows(pattern: string, result: Comparison): string[] {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const ratio = (n: number | undefined) => (n === undefined ? "1.00" : n.toFixed(2));
  return VARIANTS.map(({ name }) => {
    const rounds = result.rounds[name];
    const cells = [
      pattern,
      LABELS[name],
      fmt(median(rounds.map((f) => f.callsPerSecond))),
      ratio(result.medianThroughputRatio[name]),
      fmt(median(rounds.map((f) => f.messagesPerSecond))),
      ratio(result.medianMessagesRatio[name]),
      `${fmt(median(rounds.map((f) => f.serverCpuUsPerCall)))} µs`,
      ratio(result.medianCpuRatio[name]),
    ];
    return `| ${cells.join(" | ")} |`;
  });
}

/**
 * Median over rounds of the full stack's figure divided by bare Deno's.
 *
 * @param result one pattern's comparison
 * @param figure which figure
 * @returns the median ratio full / deno-bare
 */
export function fullToDeno(
  result: Comparison,
  figure: "callsPerSecond" | "messagesPerSecond" | "serverCpuUsPerCall",
): number {
  const deno = result.rounds["deno-bare"];
  return median(result.rounds.full.map((f, r) => f[figure] / deno[r][figure]));
}

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(compareUsage("scripts/bench_runtimes.ts"));
    const patterns: readonly RpcKind[] = Deno.args.some((a) => a.startsWith("--pattern"))
      ? [options.pattern!]
      : RPC_KINDS;
    const rows: string[] = [];
    const vsDeno: string[] = [];
    for (const pattern of patterns) {
      const result = await compareServers({ ...options, pattern, variants: VARIANTS });
      rows.push(...tableRows(pattern, result));
      vsDeno.push(
        `| ${pattern} | ${fullToDeno(result, "callsPerSecond").toFixed(3)} | ${
          fullToDeno(result, "messagesPerSecond").toFixed(3)
        } | ${fullToDeno(result, "serverCpuUsPerCall").toFixed(3)} |`,
      );
    }
    console.log(
      [
        "",
        "| pattern | server | calls/s | ratio to Node | messages/s | ratio to Node | server CPU per call | ratio to Node |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ...rows,
        "",
        "| pattern | full / Deno bare calls/s | messages/s | server CPU per call |",
        "| --- | ---: | ---: | ---: |",
        ...vsDeno,
      ].join("\n"),
    );
  });
}
