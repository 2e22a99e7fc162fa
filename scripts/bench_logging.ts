/**
 * Whether call logging limits the server (`LOGGING_COMPARISON` in
 * `lib/bench/server_comparisons.ts`).
 *
 *   deno task bench:logging [--rounds 5] [--duration 4s] [--concurrency 32]   (--help lists them)
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers } from "../lib/bench/compare_servers.ts";
import { COMPARE_SETTINGS, scriptOptions, scriptUsage } from "../lib/bench/script_settings.ts";
import { LOGGING_COMPARISON } from "../lib/bench/server_comparisons.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(scriptUsage("deno task bench:logging", COMPARE_SETTINGS));
    await compareServers({ ...options, variants: LOGGING_COMPARISON.variants });
  });
}
