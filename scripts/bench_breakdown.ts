/**
 * What each part of the full stack costs per call (`BREAKDOWN_COMPARISON` in
 * `lib/bench/server_comparisons.ts`): the interceptor chain on the bare
 * server, whole and less one part at a time, against the bare server: one
 * run of three servers (bare, the whole chain, the chain less the part) per
 * part, then a table of each part's share of the bare server's CPU per call.
 *
 *   deno task bench:breakdown [--rounds 5] [--duration 4s] [--concurrency 32]   (--help lists them)
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers } from "../lib/bench/compare_servers.ts";
import { COMPARE_SETTINGS, scriptOptions, scriptUsage } from "../lib/bench/script_settings.ts";
import { BREAKDOWN_COMPARISON, BREAKDOWN_PARTS } from "../lib/bench/server_comparisons.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(scriptUsage("deno task bench:breakdown", COMPARE_SETTINGS));
    const [bare, chain, ...without] = BREAKDOWN_COMPARISON.variants;
    // One three-server run per part: six servers in one run each sit idle five turns
    // in six, and their differences from process to process outgrew the parts.
    const rows: string[] = [];
    for (const variant of without) {
      const result = await compareServers({ ...options, variants: [bare, chain, variant] });
      const whole = result.medianCpuRatio[chain.name];
      const rest = result.medianCpuRatio[variant.name];
      rows.push(
        `| ${BREAKDOWN_PARTS[variant.name]} | x${whole.toFixed(3)} | x${rest.toFixed(3)} | ` +
          `${((whole - rest) * 100).toFixed(1)} % |`,
      );
    }
    console.log("\n| part | chain / bare CPU per call | without the part | part, % of bare |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const row of rows) console.log(row);
  });
}
