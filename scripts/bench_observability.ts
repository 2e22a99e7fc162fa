/**
 * What metrics and tracing cost, side by side: the full server (TLS + JWT +
 * call logging at info to /dev/null) with neither, with the tracing stage
 * left to decide for itself while OpenTelemetry is off (what every server
 * without `OTEL_DENO` runs), with metrics, and with metrics and tracing under
 * Deno's OpenTelemetry exporting every span to an OTLP/HTTP receiver this
 * script runs. Each variant is its own process; rounds rotate the order.
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
import { COMPARE_SETTINGS, scriptOptions, scriptUsage } from "../lib/bench/script_settings.ts";

/** Least acceptable (metrics + tracing) / baseline calls/s. */
export const MIN_OBSERVED_RATIO = 0.95;
/** Least acceptable (tracing off, auto) / baseline calls/s: the noise floor. */
export const MIN_TRACING_OFF_RATIO = 0.98;

/** An OTLP/HTTP receiver that accepts and counts export requests, and keeps nothing. */
function startSink() {
  let requests = 0;
  let bytes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bytes += (await request.arrayBuffer()).byteLength;
    if (new URL(request.url).pathname === "/v1/traces") requests++;
    return new Response(null, { status: 200 });
  });
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    figures: () => ({ requests, bytes }),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) {
      return void console.log(
        scriptUsage("deno run -A scripts/bench_observability.ts", COMPARE_SETTINGS),
      );
    }
    await using sink = startSink();
    const full = { variant: "full", logLevel: "info" } as const;
    const result = await compareServers({
      ...options,
      variants: [
        { name: "full", spec: { ...full, metrics: false, tracing: "off" } },
        { name: "tracing-off", spec: { ...full, metrics: false, tracing: "auto" } },
        { name: "metrics", spec: { ...full, metrics: true, tracing: "off" } },
        {
          name: "metrics+tracing",
          spec: { ...full, metrics: true, tracing: "auto", otlpEndpoint: sink.endpoint },
        },
      ],
    });
    const { requests, bytes } = sink.figures();
    console.log(`OTLP receiver: ${requests} trace exports, ${(bytes / 1e6).toFixed(1)} MB`);
    const observed = result.medianThroughputRatio["metrics+tracing"];
    const off = result.medianThroughputRatio["tracing-off"];
    console.log(
      `metrics+tracing / full calls/s: ${(observed * 100).toFixed(1)} % ` +
        `(target >= ${MIN_OBSERVED_RATIO * 100} %)`,
    );
    console.log(
      `tracing off (auto) / full calls/s: ${(off * 100).toFixed(1)} % ` +
        `(target >= ${MIN_TRACING_OFF_RATIO * 100} %)`,
    );
    if (requests === 0) {
      console.log("no spans reached the receiver: the traced variant did not trace");
      return 1;
    }
    return observed >= MIN_OBSERVED_RATIO && off >= MIN_TRACING_OFF_RATIO ? 0 : 1;
  });
}
