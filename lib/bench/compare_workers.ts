/**
 * `GREETER_WORKERS`: one worker against N, side by side. Starts `main.ts`
 * twice as a user would (TLS, JWT, call logging at info into /dev/null,
 * metrics; `GREETER_WORKERS=1` and `=N`), then takes turns driving each with
 * the same load (unary, many connections, so the kernel can spread them),
 * round after round, the order swapped each round. Per round and server:
 * calls/s seen by the client, and server CPU per call summed over the whole
 * process tree (the supervisor and its workers). At the end each server is
 * stopped with one SIGTERM, and each worker's shutdown line says how many
 * calls it served.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { median } from "./median.ts";
import { openSeparateConnections } from "./connections.ts";
import { runLoad } from "./load_runner.ts";
import { createPatternCall } from "./bench_calls.ts";
import { BENCH_ISSUER, benchTokenProvider } from "./bench_token_provider.ts";
import { startMainServer } from "./main_server.ts";
import { treeCpuSeconds } from "./tree_cpu.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Options for {@linkcode compareWorkers}. */
export interface CompareWorkersOptions {
  /** Workers of the second server (the first has one). */
  workers: number;
  /** Rounds; each drives both servers. */
  rounds: number;
  /** Measurement window per server and round, in ms. */
  durationMs: number;
  /** Calls in flight. */
  concurrency: number;
  /** Connections per server. */
  channels: number;
  /** Where the heading (once both servers listen) and each round's line go. */
  print: (line: string) => void;
}

/** Figures of one server over the rounds, one entry a round. */
export interface WorkerFigures {
  /** Its worker count. */
  workers: number;
  /** Calls/s the client saw. */
  callsPerSecond: number[];
  /** Server CPU (whole process tree) per call, in µs. */
  cpuUs: number[];
  /** Calls each worker served, from its shutdown line. */
  served: number[];
}

/**
 * Runs the comparison.
 *
 * @param options the load and the rounds
 * @returns the figures of one worker, then of N
 *
 * @example
 * ```ts
 * const figures = await compareWorkers({
 *   workers: 2, rounds: 5, durationMs: 3000, concurrency: 64, channels: 8, print: console.log,
 * });
 * console.log(workersSummary(figures).join("\n"));
 * ```
 */
export async function compareWorkers(
  options: CompareWorkersOptions,
): Promise<[WorkerFigures, WorkerFigures]> {
  const secret = `bench-secret-${crypto.randomUUID()}`;
  const servers = [
    await startMainServer({ workers: 1, secret, issuer: BENCH_ISSUER }),
    await startMainServer({ workers: options.workers, secret, issuer: BENCH_ISSUER }),
  ];
  const ca = await Deno.readTextFile(`${ROOT}certs/ca.pem`);
  const tokenProvider = benchTokenProvider(secret);
  const connections = servers.map((s) =>
    openSeparateConnections(
      { target: `localhost:${s.port}`, tls: { ca }, tokenProvider, deadlineMs: 10_000 },
      options.channels,
    )
  );
  const figures = servers.map((s): WorkerFigures => ({
    workers: s.workers,
    callsPerSecond: [],
    cpuUs: [],
    served: [],
  })) as [WorkerFigures, WorkerFigures];
  options.print(
    `# 1 worker vs ${options.workers} (unary, concurrency ${options.concurrency}, ` +
      `channels ${options.channels}, ${options.durationMs / 1000} s per run, ` +
      `${options.rounds} rounds)`,
  );
  for (let round = 0; round < options.rounds; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const before = treeCpuSeconds(servers[i].pid);
      const result = await runLoad({
        call: createPatternCall("unary", { connections: connections[i] }),
        concurrency: options.concurrency,
        durationMs: options.durationMs,
        warmupMs: 500,
      });
      const cpu = treeCpuSeconds(servers[i].pid) - before;
      figures[i].callsPerSecond.push(result.callsPerSecond);
      figures[i].cpuUs.push((cpu * 1e6) / (result.calls + result.warmupCalls));
    }
    options.print(roundLine(figures, round));
  }
  for (const list of connections) for (const c of list) c.close();
  for (const [i, server] of servers.entries()) {
    await server.stop();
    figures[i].served = server.lines
      .filter((l) => /^shutdown /.test(String(l.message)))
      .map((l) => Number(l.totalCalls));
  }
  return figures;
}

/**
 * The line of one round: each server's calls/s and CPU per call.
 *
 * @param figures both servers' figures
 * @param round which round, from 0
 * @returns the line
 *
 * @example
 * ```ts
 * roundLine(figures, 0); // "round 1: 1 worker(s) 5000/s 180 µs/call | 2 worker(s) ..."
 * ```
 */
export function roundLine(figures: readonly WorkerFigures[], round: number): string {
  return `round ${round + 1}: ` +
    figures.map((f) =>
      `${f.workers} worker(s) ${f.callsPerSecond[round].toFixed(0)}/s ${
        f.cpuUs[round].toFixed(0)
      } µs/call`
    ).join(" | ");
}

/**
 * The closing lines: the medians of the per-round ratios of N workers to one,
 * and the share of the calls each of the N workers served.
 *
 * @param figures one worker's figures, then N's
 * @returns two lines
 *
 * @example
 * ```ts
 * console.log(workersSummary(await compareWorkers(options)).join("\n"));
 * ```
 */
export function workersSummary([one, many]: readonly [WorkerFigures, WorkerFigures]): string[] {
  const ratio = (key: "callsPerSecond" | "cpuUs") =>
    median(many[key].map((v, r) => v / one[key][r]));
  const total = many.served.reduce((a, b) => a + b, 0);
  return [
    `median ${many.workers} workers / 1: calls/s x${ratio("callsPerSecond").toFixed(3)}, ` +
    `server CPU per call x${ratio("cpuUs").toFixed(3)} (medians ${
      median(many.cpuUs).toFixed(0)
    } vs ${median(one.cpuUs).toFixed(0)} µs/call)`,
    `calls served per worker with ${many.workers} workers: ${
      many.served.map((c) => `${c} (${((100 * c) / total).toFixed(1)} %)`).join(", ")
    }`,
  ];
}
