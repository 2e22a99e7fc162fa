/**
 * What the verified-token cache saves, for HS256 and ES256 tokens
 * (`AUTH_CACHE_COMPARISON` in `lib/bench/server_comparisons.ts`).
 *
 *   deno task bench:auth [--rounds 5] [--duration 4s] [--concurrency 32]   (--help lists them)
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers } from "../lib/bench/compare_servers.ts";
import { COMPARE_SETTINGS, scriptOptions, scriptUsage } from "../lib/bench/script_settings.ts";
import { AUTH_CACHE_COMPARISON } from "../lib/bench/server_comparisons.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(scriptUsage("deno task bench:auth", COMPARE_SETTINGS));
    await compareServers({ ...options, variants: AUTH_CACHE_COMPARISON.variants });
  });
}
