/**
 * The Greeter against bare grpc-js on Node.js and on Deno, for every RPC
 * pattern (`RUNTIMES_COMPARISON` in `lib/bench/server_comparisons.ts`): each
 * pattern is one side-by-side comparison, Node.js the baseline; then the
 * Markdown tables of `lib/bench/runtimes_table.ts`.
 *
 *   deno task bench:runtimes [--rounds 5] [--duration 4s] [--concurrency 32] [--channels 2]
 *     [--messages 10] [--pattern unary]
 *
 * Without `--pattern`, all four patterns are measured. Needs `node` on the PATH.
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers, type Comparison } from "../lib/bench/compare_servers.ts";
import { formatRuntimesTables } from "../lib/bench/runtimes_table.ts";
import { COMPARE_SETTINGS, scriptOptions, scriptUsage } from "../lib/bench/script_settings.ts";
import { RUNTIMES_COMPARISON } from "../lib/bench/server_comparisons.ts";
import { RPC_KINDS, type RpcKind } from "../lib/shared/rpc_kinds.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(scriptUsage("deno task bench:runtimes", COMPARE_SETTINGS));
    const patterns: readonly RpcKind[] = options.pattern ? [options.pattern] : RPC_KINDS;
    const results = new Map<RpcKind, Comparison>();
    for (const pattern of patterns) {
      const variants = RUNTIMES_COMPARISON.variants;
      results.set(pattern, await compareServers({ ...options, pattern, variants }));
    }
    console.log(formatRuntimesTables(results));
  });
}
