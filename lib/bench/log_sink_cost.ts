/**
 * CPU per call line of the log sink, in process, without gRPC: the project's
 * batching sink (`setupLogging`'s default) against logtape's own
 * non-blocking stream sink with one write per line (`perLineStreamSink`).
 * Rounds alternate the two; each round logs the same call line many times,
 * yielding to the event loop every 32 lines as a busy server does, and the
 * figure is process CPU time (user + system) per line.
 *
 * @module
 */
import process from "node:process";
import { greeterLogger, setupLogging } from "../shared/log.ts";
import { median } from "./median.ts";
import { perLineStreamSink } from "./per_line_sink.ts";

/** The two sinks compared. */
type LogSinkName = "batching" | "logtape-stream";

const LINE = "{method} {status} in {durationMs}ms peer={peer} in={messagesIn} " +
  "out={messagesOut} id={requestId} sub={sub}";

/** Process CPU time per line, µs, of logging `lines` call lines through `sink` into `file`. */
async function cpuPerLine(sink: LogSinkName, file: string, lines: number): Promise<number> {
  const output = await Deno.open(file, { write: true, create: true, truncate: true });
  try {
    const logging = await setupLogging({
      level: "info",
      stream: output.writable,
      ...(sink === "logtape-stream" ? { sink: perLineStreamSink(output.writable) } : {}),
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

/** Options for {@linkcode compareLogSinks}. */
export interface LogSinkCostOptions {
  /** Rounds, alternating which sink goes first. */
  rounds: number;
  /** Call lines per run. */
  lines: number;
  /** Where the lines are written, e.g. `/dev/null`. */
  file: string;
  /** Where the progress lines go. @default console.log */
  print?: (line: string) => void;
}

/** Per round, CPU per line of each sink, and the medians. */
export interface LogSinkCost {
  /** µs per line of the batching sink, one per round. */
  batching: number[];
  /** µs per line of the per-line sink, one per round. */
  perLine: number[];
  /** Median over rounds of batching / per-line. */
  medianRatio: number;
}

/**
 * Logs the same call line through both sinks, round after round, and prints
 * one line per round and the median ratio.
 *
 * @param options rounds, lines per run, output file
 * @returns every figure and the median ratio
 *
 * @example
 * ```ts
 * const { medianRatio } = await compareLogSinks({ rounds: 7, lines: 40_000, file: "/dev/null" });
 * ```
 */
export async function compareLogSinks(options: LogSinkCostOptions): Promise<LogSinkCost> {
  const { rounds, lines, file } = options;
  const print = options.print ?? console.log;
  print(`# log sink CPU per line, ${lines} lines per run into ${file}, ${rounds} rounds`);
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
    print(
      `round ${round}: batching ${figures.batching.toFixed(1)} µs/line, logtape stream ${
        figures["logtape-stream"].toFixed(1)
      } µs/line (x${ratios[ratios.length - 1].toFixed(3)})`,
    );
  }
  print(
    `median batching/logtape-stream CPU per line: x${median(ratios).toFixed(3)} (medians ${
      median(batching).toFixed(1)
    } vs ${median(stream).toFixed(1)} µs/line)`,
  );
  return { batching, perLine: stream, medianRatio: median(ratios) };
}
