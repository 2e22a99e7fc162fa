/**
 * `GREETER_WORKERS`: one worker against N, side by side. Starts `main.ts`
 * twice as a user would (TLS, JWT, call logging at info into /dev/null,
 * metrics; `GREETER_WORKERS=1` and `=N`), then takes turns driving each with
 * the same load (unary, many connections, so the kernel can spread them),
 * round after round. Per round and server: calls/s seen by the client, and
 * server CPU per call, summed over the whole process tree (the supervisor and
 * its workers, from `/proc`). At the end each server is stopped with one
 * SIGTERM, and each worker's shutdown line says how many calls it served.
 *
 *   deno task bench:workers [--workers 2] [--rounds 5] [--duration 3s]
 *     [--concurrency 64] [--channels 8]
 *
 * Linux only (`/proc`; Deno reads another process's `/proc` files only with
 * `-A`, hence the task's permissions). On a 2-core machine shared with the load generator,
 * N = 2 cannot be faster: see BENCHMARKS.md for what it can and cannot show.
 *
 * @module
 */
import { compareWorkers, workersSummary } from "../lib/bench/compare_workers.ts";
import { WORKERS_SETTINGS } from "../lib/bench/script_settings.ts";
import { readScriptSettings } from "../lib/cli/script_settings.ts";

if (import.meta.main) {
  const values = readScriptSettings(WORKERS_SETTINGS, Deno.args, "deno task bench:workers [flags]");
  const figures = await compareWorkers({
    workers: values.workers,
    rounds: values.rounds,
    durationMs: values.duration,
    concurrency: values.concurrency,
    channels: values.channels,
    print: console.log,
  });
  for (const line of workersSummary(figures)) console.log(line);
}
