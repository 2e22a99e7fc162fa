/**
 * CPU per call line of the log sink, in process, without gRPC: the project's
 * batching sink (`setupLogging`'s default) against logtape's own
 * non-blocking stream sink with its "bare" text formatter (one write per
 * line, what `lib/log.ts` used before). Rounds alternate the two; each round
 * logs the same call line `--lines` times, yielding to the event loop every
 * 32 lines as a busy server does, and the figure is process CPU time (user +
 * system) per line. Prints the median of the per-round ratios.
 *
 *   deno run --allow-read --allow-write --allow-sys scripts/bench_log_sink.ts
 *     [--rounds 7] [--lines 40000] [--file /dev/null]   (--help lists them)
 *
 * @module
 */
import { getStreamSink, getTextFormatter } from "@logtape/logtape";
import process from "node:process";
import { greeterLogger, setupLogging } from "../lib/shared/log.ts";
import { runEntry } from "../lib/cli/config_error.ts";
import { readSettings, type SettingsTable, usageLines } from "../lib/cli/settings.ts";

/** The script's settings (flags only). */
export const LOG_SINK_SETTINGS = {
  rounds: {
    flag: "rounds",
    kind: "int",
    min: 1,
    default: 7,
    help: "rounds, alternating the sinks",
  },
  lines: { flag: "lines", kind: "int", min: 4, default: 40_000, help: "call lines per run" },
  file: { flag: "file", kind: "path", default: "/dev/null", help: "where the lines are written" },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

const LINE = "{method} {status} in {durationMs}ms peer={peer} in={messagesIn} " +
  "out={messagesOut} id={requestId} sub={sub}";

async function cpuPerLine(sink: "batching" | "logtape-stream", file: string, lines: number) {
  const output = await Deno.open(file, { write: true, create: true, truncate: true });
  try {
    const logging = await setupLogging({
      level: "info",
      stream: output.writable,
      ...(sink === "logtape-stream"
        ? {
          sink: getStreamSink(output.writable, {
            formatter: getTextFormatter({ timestamp: "date-time-tz", value: "bare" }),
            nonBlocking: true,
            closeStream: false,
          }),
        }
        : {}),
    });
    const logger = greeterLogger("server", "call");
    const start = process.cpuUsage();
    for (let i = 0; i < lines; i++) {
      logger.info(LINE, {
        method: "/helloworld.Greeter/SayHello",
        peer: "127.0.0.1:51234",
        status: "OK",
        durationMs: 0.412,
        messagesIn: 1,
        messagesOut: 1,
        requestId: crypto.randomUUID(),
        sub: "bench",
        ended: "status",
      });
      if (i % 32 === 31) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await logging[Symbol.asyncDispose]();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / lines;
  } finally {
    output.close();
  }
}

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { values } = readSettings(LOG_SINK_SETTINGS, Deno.args, {});
    if (values.help) {
      console.log(
        [
          "Usage: deno run --allow-read --allow-write --allow-sys scripts/bench_log_sink.ts [flags]",
          "",
          ...usageLines(LOG_SINK_SETTINGS),
        ].join("\n"),
      );
      return;
    }
    await compareSinks(values);
  });
}

/** Runs the rounds and prints one line per round and the median ratio. */
async function compareSinks(
  { rounds, lines, file }: { rounds: number; lines: number; file: string },
) {
  console.log(`# log sink CPU per line, ${lines} lines per run into ${file}, ${rounds} rounds`);
  await cpuPerLine("batching", file, lines / 4); // JIT warm-up for both paths
  await cpuPerLine("logtape-stream", file, lines / 4);
  const ratios: number[] = [];
  const batching: number[] = [];
  const stream: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 0
      ? ["batching", "logtape-stream"] as const
      : ["logtape-stream", "batching"] as const;
    const figures: Record<string, number> = {};
    for (const sink of order) figures[sink] = await cpuPerLine(sink, file, lines);
    batching.push(figures.batching);
    stream.push(figures["logtape-stream"]);
    ratios.push(figures.batching / figures["logtape-stream"]);
    console.log(
      `round ${round}: batching ${figures.batching.toFixed(1)} µs/line, logtape stream ${
        figures["logtape-stream"].toFixed(1)
      } µs/line (x${ratios[ratios.length - 1].toFixed(3)})`,
    );
  }
  console.log(
    `median batching/logtape-stream CPU per line: x${median(ratios).toFixed(3)} (medians ${
      median(batching).toFixed(1)
    } vs ${median(stream).toFixed(1)} µs/line)`,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
