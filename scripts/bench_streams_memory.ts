/**
 * Server memory with many open bidi streams, cycle after cycle
 * (`lib/bench/streams_memory.ts`).
 *
 *   deno task bench:memory [--streams 1000] [--channels 4] [--cycles 3] [--hold 2s]
 *     (--help lists them)
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { readSettings } from "../lib/cli/settings.ts";
import { scriptUsage, STREAMS_MEMORY_SETTINGS } from "../lib/bench/script_settings.ts";
import { measureStreamsMemory } from "../lib/bench/streams_memory.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { values: { help, ...options } } = readSettings(STREAMS_MEMORY_SETTINGS, Deno.args, {});
    if (help) {
      return void console.log(scriptUsage("deno task bench:memory", STREAMS_MEMORY_SETTINGS));
    }
    await measureStreamsMemory(options);
  });
}
