/**
 * Child processes for the stability matrix: spawn with a clean environment,
 * tee stdout/stderr to a log file, read the peers' JSON event lines, wait for a
 * line, and tell an abort (SIGABRT, an nghttp2 assertion, a panic) from a
 * normal exit.
 *
 * @module
 */

/** Text in a child's output that means the runtime crashed. */
const CRASH = /find_stream_on_goaway_func|Assertion .* failed|panicked at|Segmentation fault/;

/** How a child ended. */
export interface Ended {
  /** Exit code (128 + signal when killed). */
  readonly code: number;
  /** The signal that ended it, if any. */
  readonly signal: Deno.Signal | null;
  /** True when the runtime aborted: SIGABRT, SIGSEGV, or a crash line in its output. */
  readonly aborted: boolean;
  /** The first crash line seen, if any. */
  readonly crashLine: string | null;
}

/** Options for {@linkcode spawnChild}. */
export interface SpawnOptions {
  /** Working directory. */
  cwd: string;
  /** Directory for `<name>.log`. */
  logDir: string;
  /** Extra environment on top of PATH/HOME/DENO_DIR. @default {} */
  env?: Record<string, string>;
}

/** A spawned child whose output is followed line by line. */
export class Child {
  /** Short name, also the log file's name. */
  readonly name: string;
  /** Process id. */
  readonly pid: number;
  /** Resolves when the child has exited and its output is flushed. */
  readonly ended: Promise<Ended>;
  /** JSON events printed on stdout, in order. */
  readonly events: Record<string, unknown>[] = [];
  #lines: string[] = [];
  #crashLine: string | null = null;
  #counters: ((line: string) => void)[] = [];
  #waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  #process: Deno.ChildProcess;
  #exited = false;
  #t0 = performance.now();

  constructor(name: string, command: string, args: string[], options: SpawnOptions) {
    this.name = name;
    const env: Record<string, string> = { NO_COLOR: "1", ...options.env };
    for (const key of ["PATH", "HOME", "DENO_DIR"]) {
      const value = Deno.env.get(key);
      if (value !== undefined) env[key] = value;
    }
    const child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#process = child;
    this.pid = child.pid;
    const log = Deno.openSync(`${options.logDir}/${name}.log`, {
      create: true,
      write: true,
      truncate: true,
    });
    const encoder = new TextEncoder();
    const follow = async (stream: ReadableStream<Uint8Array>, prefix: string) => {
      let rest = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) this.#line(line, prefix, log, encoder);
      }
      if (rest) this.#line(rest, prefix, log, encoder);
    };
    const output = Promise.all([
      follow(child.stdout, "out"),
      follow(child.stderr, "err"),
    ]);
    this.ended = (async () => {
      const status = await child.status;
      this.#exited = true;
      await output;
      log.close();
      const signal = status.signal;
      return {
        code: status.code,
        signal,
        aborted: signal === "SIGABRT" || signal === "SIGSEGV" || status.code === 134 ||
          this.#crashLine !== null,
        crashLine: this.#crashLine,
      };
    })();
  }

  #line(line: string, prefix: string, log: Deno.FsFile, encoder: TextEncoder) {
    const at = ((performance.now() - this.#t0) / 1000).toFixed(1).padStart(6);
    log.writeSync(encoder.encode(`${at} ${prefix} ${line}\n`));
    if (CRASH.test(line) && this.#crashLine === null) this.#crashLine = line.slice(0, 200);
    if (prefix === "out" && line.startsWith("{")) {
      try {
        this.events.push(JSON.parse(line));
      } catch { /* not an event */ }
    }
    this.#lines.push(line);
    for (const counter of this.#counters) counter(line);
    if (this.#lines.length > 500) this.#lines.splice(0, 250);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line (past or future) matching `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.#lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no line matching ${pattern} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiter = {
        test: (l: string) => pattern.test(l),
        resolve: (l: string) => (clearTimeout(timer), resolve(l)),
      };
      this.#waiters.push(waiter);
      this.ended.then(() => {
        if (this.#waiters.includes(waiter)) {
          clearTimeout(timer);
          reject(new Error(`${this.name} exited before printing ${pattern}`));
        }
      });
    });
  }

  /** The last JSON event named `event`, if any. */
  event(event: string): Record<string, unknown> | undefined {
    return this.events.findLast((e) => e.event === event);
  }

  /** Whether `pattern` matches any of the last lines kept. */
  saw(pattern: RegExp): boolean {
    return this.#lines.some((l) => pattern.test(l));
  }

  /** Sends a signal unless the child has already exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      this.#process.kill(signal);
    } catch { /* already gone */ }
  }

  /**
   * Resident memory in bytes of the child and every process below it (a
   * supervisor and its workers), from /proc, or NaN once the child is gone.
   */
  rss(): number {
    return treeRssBytes(this.pid);
  }

  /** Processes below the child now (workers of a supervisor), from /proc. */
  descendants(): number[] {
    return descendantsOf(this.pid);
  }

  /** Counts the lines from now on that match `pattern`; call the result for the count. */
  count(pattern: RegExp): () => number {
    let n = this.#lines.filter((l) => pattern.test(l)).length;
    this.#counters.push((line) => pattern.test(line) && n++);
    return () => n;
  }
}

/**
 * Resident memory in bytes of `pid` and every process below it, from /proc,
 * or NaN once `pid` is gone.
 *
 * @example
 * ```ts
 * console.log(treeRssBytes(server.pid) / 2 ** 20, "MB");
 * ```
 */
export function treeRssBytes(pid: number): number {
  const own = rssOf(pid);
  if (Number.isNaN(own)) return NaN;
  return descendantsOf(pid).reduce((sum, child) => sum + (rssOf(child) || 0), own);
}

/** VmRSS of one process in bytes, or NaN when it is gone. */
function rssOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Every process below `pid`, from the parent ids in /proc. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry.name)]);
    } catch {
      // Exited meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
