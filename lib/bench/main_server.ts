/**
 * `main.ts` as a user starts it, for the bench scripts: `deno run -P=server
 * main.ts` from the project's root (its development certificates), with JSON
 * logs, one worker or a supervisor and N workers (`GREETER_WORKERS`).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { jsonLogReader, type LogRecord } from "../shared/json_log_reader.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Options for {@linkcode startMainServer}. */
export interface MainServerOptions {
  /** `GREETER_WORKERS`. */
  workers: number;
  /** `GREETER_JWT_SECRET`. */
  secret: string;
  /** `GREETER_JWT_ISSUER`. */
  issuer: string;
  /** More environment (`GREETER_ADMIN=off` and the JSON log format are set). */
  env?: Record<string, string>;
  /** How long to wait for the start-up line, in ms. @default 60_000 */
  readyTimeoutMs?: number;
}

/** A running server from {@linkcode startMainServer}. */
export interface MainServer {
  /** Its worker count. */
  readonly workers: number;
  /** The port it listens on. */
  readonly port: number;
  /** The process id of the server (the supervisor, with several workers). */
  readonly pid: number;
  /** Its start-up and shutdown lines so far (call lines are not kept). */
  readonly lines: LogRecord[];
  /** One SIGTERM (every worker drains); resolves when it has exited and its log is read. */
  stop(): Promise<void>;
}

/**
 * Starts `main.ts` with `workers` workers and waits until it listens.
 *
 * @param options workers and credentials
 * @returns the running server; `stop` it when done
 * @throws when it exits or stays silent before its start-up line
 *
 * @example
 * ```ts
 * const server = await startMainServer({ workers: 2, secret, issuer: BENCH_ISSUER });
 * console.log(server.port);
 * await server.stop();
 * ```
 */
export async function startMainServer(options: MainServerOptions): Promise<MainServer> {
  const { workers } = options;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=server", "main.ts", "--port", "0", "--log-format", "json"],
    cwd: ROOT,
    env: {
      GREETER_WORKERS: String(workers),
      GREETER_ADMIN: "off",
      GREETER_JWT_SECRET: options.secret,
      GREETER_JWT_ISSUER: options.issuer,
      ...options.env,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Call lines are many: parse only the lines read here.
  const log = jsonLogReader(child.stderr, { keep: (line) => /listening|shutdown/.test(line) });
  let ready: LogRecord;
  try {
    ready = await log.next(
      (line) =>
        /workers listening/.test(String(line.message)) ||
        (workers === 1 && /^Greeter listening/.test(String(line.message))),
      options.readyTimeoutMs ?? 60_000,
    );
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await log.cancel();
    await child.status;
    throw new Error(`server with ${workers} workers exited`, { cause: error });
  }
  return {
    workers,
    port: Number(ready.port ?? String(ready.address).split(":").pop()),
    pid: child.pid,
    lines: log.logs,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await log.ended;
    },
  };
}
