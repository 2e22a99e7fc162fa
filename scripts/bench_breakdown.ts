/**
 * What each part of the full stack costs per call (`BREAKDOWN_COMPARISON` in
 * `lib/bench/server_comparisons.ts`): the interceptor chain on the bare
 * server, whole and less one part at a time, against the bare server. Prints
 * each part's share of the bare server's CPU per call at the end.
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
    const result = await compareServers({ ...options, variants: BREAKDOWN_COMPARISON.variants });
    const whole = result.medianCpuRatio.chain;
    console.log(`whole chain / bare server CPU per call: x${whole.toFixed(3)}`);
    for (const [variant, part] of Object.entries(BREAKDOWN_PARTS)) {
      const share = whole - result.medianCpuRatio[variant];
      console.log(`  ${part}: ${(share * 100).toFixed(1)} % of bare's CPU per call`);
    }
  });
}
