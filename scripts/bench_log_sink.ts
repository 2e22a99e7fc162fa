/**
 * CPU per call line of the batching log sink against the per-line one, in
 * process (`lib/bench/log_sink_cost.ts`).
 *
 *   deno task bench:log-sink [--rounds 7] [--lines 40000] [--file /dev/null]   (--help lists them)
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { readSettings } from "../lib/cli/settings.ts";
import { compareLogSinks } from "../lib/bench/log_sink_cost.ts";
import { LOG_SINK_SETTINGS, scriptUsage } from "../lib/bench/script_settings.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { values: { help, ...options } } = readSettings(LOG_SINK_SETTINGS, Deno.args, {});
    if (help) return void console.log(scriptUsage("deno task bench:log-sink", LOG_SINK_SETTINGS));
    await compareLogSinks(options);
  });
}
