/**
 * `GREETER_WORKERS=N`: N server processes on one port, started and stopped
 * as one server.
 *
 * Each worker is `main.ts` again, in its own Deno process, told its index by
 * {@linkcode WORKER_INDEX_ENV}; it listens with `SO_REUSEPORT`
 * (`shared_port.ts`), so the kernel spreads new connections over the workers.
 * The supervisor:
 * - picks the port first when it is 0, so every worker shares the same one;
 * - waits until every worker listens (each says so on its stdout), then
 *   reports one start-up line;
 * - turns a drain request (SIGINT or SIGTERM) into one SIGTERM per worker,
 *   and a forcing one into a second SIGTERM, as with one server;
 * - stops the others when a worker dies, and exits non-zero;
 * - exits once every worker has exited.
 *
 * Health answers on the shared port from whichever worker takes the
 * connection, and every worker reports NOT_SERVING during its drain. The
 * admin endpoint (metrics, probes) is per worker: worker `i` serves it on the
 * admin port + `i`, and its `/metrics` counts that worker's calls (scrape each
 * port; Prometheus adds the `instance` label).
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import * as net from "node:net";
import { readLines } from "../bench/_read_lines.ts";

/** Environment variable that makes `main.ts` a worker, holding its index (0 … N-1). */
export const WORKER_INDEX_ENV = "GREETER_WORKER_INDEX";
/** Environment variable holding the port the workers share. */
export const WORKER_PORT_ENV = "GREETER_WORKER_PORT";

/** What a worker writes on its stdout once it listens. */
export interface WorkerReady {
  /** The worker's index. */
  worker: number;
  /** The port it listens on. */
  port: number;
}

/** How to start one worker process. */
export type SpawnWorker = (index: number, port: number) => Deno.ChildProcess;

/** Options for {@linkcode superviseWorkers}. */
export interface SuperviseOptions {
  /** Number of workers (at least 2 make sense). */
  count: number;
  /** Address the workers listen on. */
  host: string;
  /** Port they share; 0 picks a free one first. */
  port: number;
  /** Starts worker `index` on `port`, with stdout piped. */
  spawn: SpawnWorker;
  /** Where the supervisor's own lines go. */
  logger: Logger;
  /** Resolves on the signal that asks for a drain (`listenForShutdownSignals().drain`). */
  drain: Promise<string>;
  /** Resolves on the signal that asks to cut calls off (`listenForShutdownSignals().force`). */
  force: Promise<string>;
  /** Called once every worker listens. */
  onReady?: (port: number) => void;
}

/**
 * Runs `count` workers until they have all exited.
 *
 * @param options workers, address and seams
 * @returns 0 when every worker exited with 0, else 1
 * @throws what `spawn` throws (no permission to run Deno), after stopping the workers it started
 *
 * @example
 * ```ts
 * const code = await superviseWorkers({ count: 4, host, port, spawn, logger });
 * ```
 */
export async function superviseWorkers(options: SuperviseOptions): Promise<number> {
  const { count, host, logger } = options;
  // Port 0: hold a free port (SO_REUSEPORT too) until every worker listens on it.
  const holder = options.port === 0 ? await holdFreePort(host) : undefined;
  const port = holder?.port ?? options.port;
  const children: Deno.ChildProcess[] = [];
  try {
    for (let i = 0; i < count; i++) children.push(options.spawn(i, port));
  } catch (error) {
    // Leave no worker behind without its supervisor.
    for (const child of children) child.kill("SIGKILL");
    await Promise.all(children.map((child) => child.status));
    await holder?.close();
    throw error;
  }
  let stopping = false;
  let failed = false;
  const stopAll = (signal: Deno.Signal) => {
    for (const child of children) {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    }
  };

  const exits = children.map(async (child, i) => {
    const status = await child.status;
    if (!stopping) {
      failed = true;
      stopping = true;
      logger.error("worker {worker} exited with code {code}; stopping the other workers", {
        worker: i,
        code: status.code,
      });
      stopAll("SIGTERM");
    } else if (status.code !== 0) failed = true;
  });

  const ready = children.map(async (child, i) => {
    for await (const line of readLines(child.stdout)) {
      try {
        const message = JSON.parse(line) as Partial<WorkerReady>;
        if (message.worker === i) return true;
      } catch {
        // Not the ready line: workers print nothing else on stdout.
      }
    }
    return false;
  });
  const allReady = await Promise.race([
    Promise.all(ready).then((flags) => flags.every(Boolean)),
    Promise.all(exits).then(() => false),
  ]);
  await holder?.close();
  if (allReady && !stopping) {
    options.onReady?.(port);
    const ended = Promise.all(exits).then(() => undefined);
    (async () => {
      const first = await Promise.race([options.drain, ended]);
      if (first === undefined) return;
      stopping = true;
      logger.info("{signal} received: draining every worker; again to force", { signal: first });
      stopAll("SIGTERM");
      const again = await Promise.race([options.force, ended]);
      if (again === undefined) return;
      logger.warn("{signal} received again: workers close in-flight calls now", { signal: again });
      stopAll("SIGTERM");
    })();
  }
  await Promise.all(exits);
  await Promise.all(ready);
  return failed || !allReady ? 1 : 0;
}

/** Listens on a free port with SO_REUSEPORT, so workers can bind it too, until closed. */
async function holdFreePort(host: string): Promise<{ port: number; close(): Promise<void> }> {
  const listener = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen({ host, port: 0, reusePort: true } as net.ListenOptions, () => resolve());
  });
  return {
    port: (listener.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}
