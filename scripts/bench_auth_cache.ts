/**
 * What the JWT check costs on repeat calls: the full stack with the verified
 * token cache on (default size) against the same stack with `cacheSize: 0`,
 * where every call verifies the HMAC signature and the claims again; and the
 * same two with ES256 tokens verified against a public key (a JWKS), as with
 * an OpenID provider. Logging stays at info in all, so the only differences
 * are the cache and the key type. The baseline is the HS256 cache-off server,
 * so a ratio above 1 is what the cache saves.
 *
 *   deno run -A scripts/bench_auth_cache.ts [--rounds 5] [--duration 4] [--concurrency 32]
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { compareServers, compareUsage, scriptOptions } from "../lib/bench/compare_servers.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { help, options } = scriptOptions(Deno.args);
    if (help) return void console.log(compareUsage("scripts/bench_auth_cache.ts"));
    await compareServers({
      ...options,
      variants: [
        { name: "cache-off", spec: { variant: "full", cacheSize: 0 } },
        { name: "cache-on", spec: { variant: "full" } },
        { name: "es256-cache-off", spec: { variant: "full", cacheSize: 0 }, signWith: "ES256" },
        { name: "es256-cache-on", spec: { variant: "full" }, signWith: "ES256" },
        { name: "bare", spec: { variant: "bare" } },
      ],
    });
  });
}
