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
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers, compareUsage, scriptOptions } from "../lib/bench/compare_servers.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(compareUsage("scripts/bench_logging.ts"));
    await compareServers({
      ...options,
      variants: [
        { name: "log-error", spec: { variant: "full", logLevel: "error" } },
        { name: "log-info", spec: { variant: "full", logLevel: "info" } },
        {
          name: "log-info-logtape-sink",
          spec: { variant: "full", logLevel: "info", logSink: "logtape-stream" },
        },
      ],
    });
  });
}
