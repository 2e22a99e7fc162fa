/**
 * What metrics and tracing cost, side by side: the full server (TLS + JWT +
 * call logging at info to /dev/null) with neither, with the tracing stage
 * left to decide for itself while OpenTelemetry is off (what every server
 * without `OTEL_DENO` runs), with metrics, and with metrics and tracing under
 * Deno's OpenTelemetry exporting every span to an OTLP/HTTP receiver this
 * script runs; and, to show where the cost lies, Deno's OpenTelemetry without
 * the tracing stage (`deno-otel`, the runtime's floor) and metrics and
 * tracing sampling one new trace in ten. Each variant is its own process;
 * rounds rotate the order.
 *
 * Targets (exit 1 otherwise): metrics + tracing at least 95 % of the
 * baseline's unary calls/s; tracing off (auto) at least 98 %, i.e. within
 * the noise of an A/A comparison on this machine.
 *
 *   deno run -A scripts/bench_observability.ts [--rounds 5] [--duration 4] [--concurrency 32]
 *     [--channels 2] [--pattern unary]
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers } from "../lib/bench/compare_servers.ts";
import { startOtlpSink } from "../lib/bench/otlp_sink.ts";
import { observabilityVariants, observabilityVerdict } from "../lib/bench/observability_verdict.ts";
import { COMPARE_SETTINGS, scriptOptions, scriptUsage } from "../lib/bench/script_settings.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) {
      return void console.log(
        scriptUsage("deno run -A scripts/bench_observability.ts", COMPARE_SETTINGS),
      );
    }
    await using sink = startOtlpSink();
    const result = await compareServers({
      ...options,
      variants: observabilityVariants(sink.endpoint),
    });
    const { lines, code } = observabilityVerdict({
      ratios: result.medianThroughputRatio,
      ...sink.figures(),
    });
    for (const line of lines) console.log(line);
    return code;
  });
}
