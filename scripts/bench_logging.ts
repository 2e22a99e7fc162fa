/**
 * Whether call logging limits the server: the full stack logging every call
 * at info (through the normal non-blocking stream sink, into /dev/null)
 * against the same stack at level error, where call lines are filtered out
 * before formatting. The baseline is the error-level server. A third server
 * logs at info through logtape's own non-blocking stream sink (one write per
 * line), as `lib/log.ts` did before it batched writes: the before/after of
 * that change, measured side by side.
 *
 *   deno run -A scripts/bench_logging.ts [--rounds 5] [--duration 4] [--concurrency 32]
 *
 * @module
 */
import { compareServers, scriptOptions } from "../lib/bench/compare_servers.ts";

if (import.meta.main) {
  await compareServers({
    ...scriptOptions(Deno.args),
    variants: [
      { name: "log-error", spec: { variant: "full", logLevel: "error" } },
      { name: "log-info", spec: { variant: "full", logLevel: "info" } },
      {
        name: "log-info-logtape-sink",
        spec: { variant: "full", logLevel: "info", logSink: "logtape-stream" },
      },
    ],
  });
}
