/**
 * What one call's span costs under Deno's OpenTelemetry: none, a span the
 * sampler left out (never ended), and an exported span, each in its own
 * child process (`lib/bench/span_cost.ts`).
 *
 *   deno task bench:span-cost [--rounds 7] [--calls 5000] [--gap 200]   (--help lists them)
 *
 * @module
 */
import { runEntry } from "../lib/cli/config_error.ts";
import { readSettings } from "../lib/cli/settings.ts";
import { measureSpanCost } from "../lib/bench/span_cost.ts";
import { scriptUsage, SPAN_COST_SETTINGS } from "../lib/bench/script_settings.ts";

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { values } = readSettings(SPAN_COST_SETTINGS, Deno.args, {});
    if (values.help) {
      return void console.log(scriptUsage("deno task bench:span-cost", SPAN_COST_SETTINGS));
    }
    await measureSpanCost({ rounds: values.rounds, iterations: values.calls, gapUs: values.gap });
  });
}
