/**
 * Overhead of the full stack against the bare server (`OVERHEAD_COMPARISON`
 * in `lib/bench/server_comparisons.ts`). Exit code 1 when full-stack calls/s
 * fall under 85 % of bare, or its server CPU per call is over twice bare's.
 *
 *   deno task bench:overhead [--rounds 5] [--duration 4s] [--concurrency 32] [--channels 2]
 *     [--pattern unary]   (--help lists them)
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers } from "../lib/bench/compare_servers.ts";
import { COMPARE_SETTINGS, scriptOptions, scriptUsage } from "../lib/bench/script_settings.ts";
import {
  OVERHEAD_COMPARISON,
  OVERHEAD_MAX_CPU_RATIO,
  OVERHEAD_MIN_RATIO,
} from "../lib/bench/server_comparisons.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(scriptUsage("deno task bench:overhead", COMPARE_SETTINGS));
    const result = await compareServers({ ...options, variants: OVERHEAD_COMPARISON.variants });
    const ratio = result.medianThroughputRatio.full;
    const bound = OVERHEAD_MIN_RATIO * 100;
    console.log(
      `full-stack / bare calls/s: ${
        (ratio * 100).toFixed(1)
      } % (target >= 95 %, fails below ${bound} %)`,
    );
    const cpu = result.medianCpuRatio.full;
    console.log(
      `full-stack / bare server CPU per call: x${cpu.toFixed(3)} (target <= 1.15, ` +
        `fails above ${OVERHEAD_MAX_CPU_RATIO})`,
    );
    return ratio >= OVERHEAD_MIN_RATIO && cpu <= OVERHEAD_MAX_CPU_RATIO ? 0 : 1;
  });
}
