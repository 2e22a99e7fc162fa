/**
 * The supervisor: `main.ts` as a parent of server processes (workers) that
 * share one port, started and stopped as one server. It runs when
 * `GREETER_WORKERS` asks for more than one worker, or when workers are
 * recycled (`GREETER_WORKER_MAX_RSS_MB`, on by default on the Deno releases
 * that leak memory per connection; then one supervisor runs one worker).
 *
 * Each worker is `main.ts` again, in its own Deno process, told its index by
 * {@linkcode WORKER_INDEX_ENV}; it listens with `SO_REUSEPORT`
 * (`shared_port.ts`), so the kernel spreads new connections over the workers
 * and a new worker can listen before the old one stops. On its stdout a worker
 * writes one line when it listens ({@linkcode WorkerReady}) and then, every
 * second, its resident memory ({@linkcode WorkerMemory}): a worker reads its
 * own (`Deno.memoryUsage()`), because reading another process's
 * `/proc/PID/status` needs `--allow-all` on Deno.
 *
 * The supervisor:
 * - with port 0, lets the first worker pick a free port, which the others share;
 * - waits until every worker listens, then reports one start-up line (a
 *   worker that fails to start stops the rest: exit code 1);
 * - **recycles**: when a worker's memory passes the limit, starts its
 *   replacement on the same port, waits until it listens, then sends the old
 *   one SIGTERM, its usual drain (NOT_SERVING, stop accepting, drain, force
 *   after the drain timeout); one recycle at a time, one log line each;
 * - **restarts** a worker that died, after a backoff (1 s, doubling up to
 *   30 s); after too many deaths in a window (5 in 60 s) it gives up, stops
 *   the rest and exits 1;
 * - turns a drain request (SIGINT or SIGTERM) into one SIGTERM per worker,
 *   and a forcing one into a second SIGTERM, as with one server;
 * - exits once every worker has exited.
 *
 * Health answers on the shared port from whichever worker takes the
 * connection, and every worker reports NOT_SERVING during its drain. The
 * admin endpoint (metrics, probes) is per worker: worker `i` serves it on the
 * admin port + `i` (also with `SO_REUSEPORT`, so a replacement shares it with
 * the worker it replaces while that one drains), and its `/metrics` counts
 * that worker's calls (scrape each port; Prometheus adds the `instance`
 * label).
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { readLines } from "../shared/read_lines.ts";

/** Environment variable that makes `main.ts` a worker, holding its index (0 … N-1). */
export const WORKER_INDEX_ENV = "GREETER_WORKER_INDEX";
/** Environment variable holding the port the workers share. */
export const WORKER_PORT_ENV = "GREETER_WORKER_PORT";
/** How often a worker reports its memory to the supervisor, in ms. */
export const WORKER_MEMORY_REPORT_MS = 1000;

/** What a worker writes on its stdout once it listens. */
export interface WorkerReady {
  /** The worker's index. */
  worker: number;
  /** The port it listens on. */
  port: number;
}

/** What a worker writes on its stdout every {@linkcode WORKER_MEMORY_REPORT_MS}. */
export interface WorkerMemory {
  /** The worker's index. */
  worker: number;
  /** Its resident memory, in bytes. */
  rss: number;
}

/** How to start one worker process. */
export type SpawnWorker = (index: number, port: number) => Deno.ChildProcess;

/** When the supervisor stops restarting workers that die. */
export interface RestartPolicy {
  /** Deaths tolerated within {@linkcode RestartPolicy.windowMs}; one more gives up. @default 5 */
  maxCrashes?: number;
  /** The window deaths are counted in, in ms. @default 60000 */
  windowMs?: number;
  /** Wait before the first restart, in ms; it doubles with each death in the window. @default 1000 */
  initialBackoffMs?: number;
  /** Longest wait before a restart, in ms. @default 30000 */
  maxBackoffMs?: number;
}

/** Options for {@linkcode superviseWorkers}. */
export interface SuperviseOptions {
  /** Number of workers. */
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
  /** Called once every worker listens, with the port and the workers' process ids. */
  onReady?: (port: number, pids: readonly number[]) => void;
  /** Resident memory, in bytes, past which a worker is replaced; 0 turns recycling off. @default 0 */
  maxRssBytes?: number;
  /** How often the workers' memory is compared with the limit, in ms. @default 1000 */
  checkIntervalMs?: number;
  /** Time a new worker gets to listen, in ms. @default 60000 */
  readyTimeoutMs?: number;
  /**
   * Time a replaced worker gets to drain and exit before it is killed, in ms
   * (its shutdown delay and drain timeout, and some margin). @default 30000
   */
  retireTimeoutMs?: number;
  /** When to give up restarting workers that die. */
  restart?: RestartPolicy;
}

/** One worker process, from start to exit. */
interface Worker {
  readonly slot: number;
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  /** Resolves true once it listens, false if it exits first. */
  readonly ready: Promise<boolean>;
  readonly exited: Promise<Deno.CommandStatus>;
  /** Last resident memory it reported, in bytes (0 before its first report). */
  rss: number;
  /** It said it listens. */
  listening: boolean;
  /** It was sent the drain SIGTERM (a second one would force it). */
  drainSent: boolean;
  /** Replaced, or given up on: its exit is not a death to restart. */
  retiring: boolean;
}

const mb = (bytes: number) => Math.round(bytes / 1e6);

function describeExit(status: Deno.CommandStatus): string {
  return status.signal === null ? `code ${status.code}` : `signal ${status.signal}`;
}

/**
 * Runs `count` workers, replacing those that grow past the memory limit or
 * die, until a drain signal stops them all (or they die too often).
 *
 * @param options workers, address, limits and seams
 * @returns 0 when every worker exited with 0 after the drain, else 1
 * @throws what `spawn` throws for the first workers (no permission to run Deno),
 *   after stopping the workers it started
 *
 * @example
 * ```ts
 * const code = await superviseWorkers({ count: 1, host, port, spawn, logger, drain, force, maxRssBytes: 192e6 });
 * ```
 */
export async function superviseWorkers(options: SuperviseOptions): Promise<number> {
  const { count, logger } = options;
  const maxRss = options.maxRssBytes ?? 0;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const retireTimeoutMs = options.retireTimeoutMs ?? 30_000;
  const maxCrashes = options.restart?.maxCrashes ?? 5;
  const crashWindowMs = options.restart?.windowMs ?? 60_000;
  const initialBackoffMs = options.restart?.initialBackoffMs ?? 1000;
  const maxBackoffMs = options.restart?.maxBackoffMs ?? 30_000;

  // Every wait is bounded; the timers still pending at the end are cleared.
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const delay = (ms: number) =>
    new Promise<"timeout">((resolve) => {
      const id = setTimeout(() => {
        timers.delete(id);
        resolve("timeout");
      }, ms);
      timers.add(id);
    });

  // Port 0: the first worker picks a free port (with SO_REUSEPORT), and the
  // others and every replacement share it. (A port held by the supervisor
  // would take connections it can only refuse once a worker is listening.)
  let port = options.port;

  const live = new Set<Worker>();
  let started = false;
  let stopping = false;
  let failed = false;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  let markAllExited!: () => void;
  const allExited = new Promise<void>((resolve) => (markAllExited = resolve));

  const kill = (worker: Worker, signal: Deno.Signal) => {
    try {
      worker.child.kill(signal);
    } catch {
      // Already exited.
    }
  };
  /** Drain: one SIGTERM to each worker not already draining. Force: to each. */
  const stopAll = (force: boolean) => {
    if (!stopping) {
      stopping = true;
      markStopped();
    }
    for (const worker of live) {
      if (force || !worker.drainSent) kill(worker, "SIGTERM");
      worker.drainSent = true;
    }
    if (live.size === 0) markAllExited();
  };

  const start = (slot: number): Worker => {
    const child = options.spawn(slot, port);
    let markReady!: (ok: boolean) => void;
    const ready = new Promise<boolean>((resolve) => (markReady = resolve));
    const worker: Worker = {
      slot,
      child,
      pid: child.pid,
      ready,
      exited: child.status,
      rss: 0,
      listening: false,
      drainSent: false,
      retiring: false,
    };
    live.add(worker);
    // Read stdout to its end, so the pipe never fills: the ready line, then memory reports.
    (async () => {
      try {
        for await (const line of readLines(child.stdout)) {
          let message: Partial<WorkerReady & WorkerMemory>;
          try {
            message = JSON.parse(line);
          } catch {
            continue; // Workers print nothing else on stdout.
          }
          if (message.worker !== slot) continue;
          if (typeof message.port === "number") {
            if (port === 0) port = message.port;
            worker.listening = true;
            markReady(true);
          }
          if (typeof message.rss === "number") worker.rss = message.rss;
        }
      } catch {
        // The pipe broke with the process.
      }
      markReady(false);
    })();
    child.status.then((status) => {
      markReady(false);
      live.delete(worker);
      if (stopping) {
        // A worker stopped before it listened (still loading) may die of the signal.
        if (status.code !== 0 && worker.listening && !worker.retiring) failed = true;
        if (live.size === 0) markAllExited();
      } else if (started && !worker.retiring) onDeath(worker, status);
    });
    return worker;
  };

  const slots: Worker[] = [];
  try {
    slots.push(start(0));
    if (port === 0 && count > 1) await Promise.race([slots[0].ready, delay(readyTimeoutMs)]);
    // Without a port from the first worker, it failed: the start-up fails below.
    for (let i = 1; i < count && port !== 0; i++) slots.push(start(i));
  } catch (error) {
    // Leave no worker behind without its supervisor.
    for (const worker of slots) kill(worker, "SIGKILL");
    await Promise.all(slots.map((worker) => worker.exited));
    throw error;
  }
  /** Slots whose worker is being replaced (recycle or restart under way). */
  const replacing = new Set<number>();
  const crashes: number[] = [];

  /** Counts a death; false once there were too many in the window. */
  const countCrash = (): boolean => {
    const now = performance.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0] < now - crashWindowMs) crashes.shift();
    return crashes.length <= maxCrashes;
  };

  /** Starts a worker for `slot` and waits (bounded) until it listens; kills it otherwise. */
  const startAndWait = async (slot: number): Promise<Worker | undefined> => {
    let worker: Worker;
    try {
      worker = start(slot);
    } catch (error) {
      logger.error("cannot start worker {worker}: {error}", { worker: slot, error });
      return undefined;
    }
    const ok = await Promise.race([worker.ready, delay(readyTimeoutMs)]);
    if (ok === true) return worker;
    worker.retiring = true; // Its exit is reported here, not as a death of the slot.
    kill(worker, "SIGKILL");
    const status = await worker.exited;
    if (!stopping) {
      logger.error("new worker {worker} (pid {pid}) did not start: {how}", {
        worker: slot,
        pid: worker.pid,
        how: ok === "timeout" ? `not listening after ${readyTimeoutMs} ms` : describeExit(status),
      });
    }
    return undefined;
  };

  const giveUp = () => {
    failed = true;
    logger.error(
      "workers died {crashes} times within {windowS} s: giving up, stopping the other workers",
      { crashes: crashes.length, windowS: crashWindowMs / 1000 },
    );
    stopAll(false);
  };

  /** A worker died without being asked to: start another after a backoff. */
  const onDeath = async (dead: Worker, status: Deno.CommandStatus) => {
    if (slots[dead.slot] !== dead || replacing.has(dead.slot)) return;
    if (!countCrash()) return giveUp();
    replacing.add(dead.slot);
    try {
      let backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (crashes.length - 1));
      logger.error(
        "worker {worker} (pid {pid}) exited unexpectedly with {how}; starting a new one in {backoffMs} ms",
        { worker: dead.slot, pid: dead.pid, how: describeExit(status), backoffMs: backoff },
      );
      while (!stopping) {
        if (await Promise.race([delay(backoff), stopped]) !== "timeout") return;
        const worker = await startAndWait(dead.slot);
        if (stopping) return;
        if (worker !== undefined) {
          slots[dead.slot] = worker;
          logger.info("worker {worker} restarted: pid {pid} serving", {
            worker: dead.slot,
            pid: worker.pid,
          });
          return;
        }
        if (!countCrash()) return giveUp();
        backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (crashes.length - 1));
      }
    } finally {
      replacing.delete(dead.slot);
    }
  };

  let recycling = false;
  /** Replaces `old`, which passed the memory limit: new one listening first, then old drains. */
  const recycle = async (old: Worker) => {
    recycling = true;
    replacing.add(old.slot);
    try {
      const oldRss = old.rss;
      const worker = await startAndWait(old.slot);
      if (worker === undefined) {
        if (stopping) return;
        if (!countCrash()) return giveUp();
        if (!live.has(old)) {
          // The old one died meanwhile: restart the slot as for any death.
          replacing.delete(old.slot);
          onDeath(old, await old.exited);
        }
        return;
      }
      if (stopping) return;
      slots[old.slot] = worker;
      old.retiring = true;
      old.drainSent = true;
      logger.info(
        "worker {worker} recycled: pid {oldPid} at {oldRssMb} MB (limit {limitMb} MB) replaced " +
          "by pid {newPid} ({newRssMb} MB), now serving; pid {oldPid} drains",
        {
          worker: old.slot,
          oldPid: old.pid,
          oldRssMb: mb(oldRss),
          limitMb: mb(maxRss),
          newPid: worker.pid,
          newRssMb: mb(worker.rss),
        },
      );
      kill(old, "SIGTERM");
      const how = await Promise.race([old.exited, delay(retireTimeoutMs)]);
      if (how === "timeout") {
        logger.warn("replaced worker pid {pid} still running after {ms} ms: killing it", {
          pid: old.pid,
          ms: retireTimeoutMs,
        });
        kill(old, "SIGKILL");
        await old.exited;
      } else if (how.code !== 0) {
        logger.warn("replaced worker pid {pid} exited with {how}", {
          pid: old.pid,
          how: describeExit(how),
        });
      }
    } finally {
      replacing.delete(old.slot);
      recycling = false;
    }
  };

  (async () => {
    const first = await Promise.race([options.drain, stopped.then(() => undefined)]);
    if (first === undefined) return;
    logger.info("{signal} received: draining every worker; again to force", { signal: first });
    stopAll(false);
    const again = await Promise.race([options.force, allExited.then(() => undefined)]);
    if (again === undefined) return;
    logger.warn("{signal} received again: workers close in-flight calls now", { signal: again });
    stopAll(true);
  })();

  // Every worker listening, or the first that exits first, or the timeout.
  const allReady = await new Promise<boolean>((resolve) => {
    for (const worker of slots) worker.ready.then((ok) => ok || resolve(false));
    Promise.all(slots.map((w) => w.ready)).then((flags) => resolve(flags.every(Boolean)));
    delay(readyTimeoutMs).then(() => resolve(false));
    stopped.then(() => resolve(false));
  });
  if (!allReady && !stopping) {
    // A worker that cannot start (a port in use, a bad certificate) will not start again.
    const dead = slots.find((w) => !w.listening && !live.has(w));
    logger.error("worker {worker} did not start ({how}); stopping the other workers", {
      worker: (dead ?? slots.find((w) => !w.listening))?.slot,
      how: dead === undefined
        ? `not listening after ${readyTimeoutMs} ms`
        : describeExit(await dead.exited),
    });
    failed = true;
    stopAll(false);
  }
  if (!started && stopping) {
    // Killed outright if they do not drain (a worker may still be loading).
    const outcome = await Promise.race([allExited, delay(retireTimeoutMs)]);
    if (outcome === "timeout") { for (const worker of live) kill(worker, "SIGKILL"); }
    await Promise.all(slots.map((w) => w.exited));
    for (const id of timers) clearTimeout(id);
    return failed ? 1 : 0;
  }
  started = true;
  options.onReady?.(port, slots.map((w) => w.pid));

  const check = maxRss > 0
    ? setInterval(() => {
      if (stopping || recycling) return;
      const over = slots
        .filter((w) => live.has(w) && !replacing.has(w.slot) && w.rss > maxRss)
        .sort((a, b) => b.rss - a.rss)[0];
      if (over !== undefined) recycle(over);
    }, options.checkIntervalMs ?? 1000)
    : undefined;

  await stopped;
  clearInterval(check);
  await allExited;
  for (const id of timers) clearTimeout(id);
  return failed ? 1 : 0;
}
