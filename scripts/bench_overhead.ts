/**
 * Overhead of the full stack against the bare server: TLS + JWT auth (token
 * cache on, its default) + logging interceptor at info, lines written through
 * the normal stream sink to /dev/null, versus TLS and no interceptors. Both
 * servers run the same business logic in their own processes.
 *
 * Target: full-stack unary calls/s at least 85 % of bare (exit 1 otherwise).
 *
 *   deno run -A scripts/bench_overhead.ts [--rounds 5] [--duration 4] [--concurrency 32]
 *     [--channels 2] [--pattern unary]
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers, compareUsage, scriptOptions } from "../lib/bench/compare_servers.ts";

/** Least acceptable full / bare calls/s. */
export const MIN_RATIO = 0.85;

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(compareUsage("scripts/bench_overhead.ts"));
    const result = await compareServers({
      ...options,
      variants: [
        { name: "bare", spec: { variant: "bare" } },
        { name: "full", spec: { variant: "full", logLevel: "info" } },
        // For reference: the full stack with the log sink lib/log.ts had before batching.
        {
          name: "full-logtape-sink",
          spec: { variant: "full", logLevel: "info", logSink: "logtape-stream" },
        },
      ],
    });
    const ratio = result.medianThroughputRatio.full;
    console.log(
      `full-stack / bare calls/s: ${(ratio * 100).toFixed(1)} % (target >= ${MIN_RATIO * 100} %)`,
    );
    return ratio >= MIN_RATIO ? 0 : 1;
  });
}
