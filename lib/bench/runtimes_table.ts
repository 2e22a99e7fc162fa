/**
 * The runtimes comparison as Markdown: one row per pattern and variant with
 * calls/s, messages/s (both directions) and server CPU per call, each with its
 * median ratio to Node.js, and how busy the server and the load generator were
 * (CPU time over wall time, 100 % = one core); then the full stack's ratios to
 * bare Deno.
 *
 * @module
 */
import type { RpcKind } from "../shared/rpc_kinds.ts";
import type { Comparison } from "./compare_servers.ts";
import { median } from "./median.ts";
import { RUNTIMES_COMPARISON } from "./server_comparisons.ts";

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
  return RUNTIMES_COMPARISON.variants.map(({ name }) => {
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
      `${percent(median(rounds.map((f) => f.serverCpuShare)))} / ${
        percent(median(rounds.map((f) => f.clientCpuShare)))
      }`,
    ];
    return `| ${cells.join(" | ")} |`;
  });
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
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

/**
 * Both Markdown tables of the runtimes comparison.
 *
 * @param results one comparison per pattern, in the order they ran
 * @returns the tables, after a blank line
 */
export function formatRuntimesTables(results: ReadonlyMap<RpcKind, Comparison>): string {
  const rows: string[] = [];
  const vsDeno: string[] = [];
  for (const [pattern, result] of results) {
    rows.push(...tableRows(pattern, result));
    vsDeno.push(
      `| ${pattern} | ${fullToDeno(result, "callsPerSecond").toFixed(3)} | ${
        fullToDeno(result, "messagesPerSecond").toFixed(3)
      } | ${fullToDeno(result, "serverCpuUsPerCall").toFixed(3)} |`,
    );
  }
  return [
    "",
    "| pattern | server | calls/s | ratio to Node | messages/s | ratio to Node | server CPU per call | ratio to Node | busy: server / client |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    "| pattern | full / Deno bare calls/s | messages/s | server CPU per call |",
    "| --- | ---: | ---: | ---: |",
    ...vsDeno,
  ].join("\n");
}
