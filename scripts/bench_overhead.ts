/**
 * Overhead of the full stack against the bare server: TLS + JWT auth (token
 * cache on, its default) + logging interceptor at info, lines written through
 * the normal stream sink to /dev/null, versus TLS and no interceptors. Both
 * servers run the same business logic in their own processes.
 *
 * Exit 1 when full-stack unary calls/s are under 85 % of bare, or its server
 * CPU per call over {@linkcode MAX_CPU_RATIO} times bare's.
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

/**
 * Most full / bare server CPU per call tolerated before CI fails. The target
 * is 1.15; this bound is loose on purpose, so that the noise of a shared
 * machine never trips it, while a regression that doubles the per-call cost
 * (a log line formatted twice, a timer per call) does.
 */
export const MAX_CPU_RATIO = 2.0;

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
    const cpu = result.medianCpuRatio.full;
    console.log(
      `full-stack / bare server CPU per call: x${cpu.toFixed(3)} (target <= 1.15, ` +
        `fails above ${MAX_CPU_RATIO})`,
    );
    return ratio >= MIN_RATIO && cpu <= MAX_CPU_RATIO ? 0 : 1;
  });
}
