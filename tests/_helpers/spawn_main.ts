/**
 * The server as a user runs it, for tests: `main.ts` (or `deno task server`,
 * or a compiled binary) in a child process with JSON logs on stderr, its
 * start-up line awaited, and one dispose that stops it and cleans up.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { within } from "./wait_for.ts";
import { type DevPki, generateDevPki } from "../../lib/shared/dev_certs.ts";
import {
  type JsonLogReader,
  jsonLogReader,
  type LogRecord,
} from "../../lib/shared/json_log_reader.ts";

/** The project's root directory, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The server's entry file. */
export const MAIN = `${ROOT}main.ts`;

/** The caller's environment without its GREETER_* and GRPC_* settings. */
export function hermeticEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => !/^(GREETER|GRPC)_/i.test(name)),
  );
}

/** Options for {@linkcode spawnMain}. */
export interface SpawnMainOptions {
  /**
   * The command line before `flags`, given the temporary directory (which
   * holds the certificates).
   * @default deno run -q -P=server --allow-read=<root>,<dir> main.ts
   */
  command?: (dir: string) => string[];
  /** The server's flags. @default ["--port", "0"] */
  flags?: string[];
  /**
   * Run in production with this JWT secret and certificates of a CA that is
   * not a development CA, written to the temporary directory
   * (`GREETER_ENV`, `GREETER_JWT_SECRET`, `GREETER_TLS_CERT`, `GREETER_TLS_KEY`).
   * Without it the server runs as a developer's would.
   */
  secret?: string;
  /** Certificates to serve in production. @default a fresh PKI */
  pki?: DevPki;
  /**
   * More environment, over the caller's without its GREETER_* and GRPC_*
   * settings (and `GREETER_LOG_FORMAT=json`).
   */
  env?: Record<string, string>;
  /** Working directory. @default the project's root */
  cwd?: string;
  /** Lead a process group of its own; `signal` and the dispose then signal the group. */
  detached?: boolean;
  /** The start-up line to wait for. @default /Greeter listening|workers listening/ */
  ready?: RegExp;
  /** How long to wait for it, in ms. @default 60_000 */
  readyTimeoutMs?: number;
  /**
   * On dispose, SIGTERM first and wait this long for the exit before SIGKILL
   * (a supervisor drains its workers); 0 kills at once.
   * @default 0
   */
  graceMs?: number;
}

/** A running server from {@linkcode spawnMain}. */
export interface MainProcess extends AsyncDisposable {
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** Its JSON log lines (stderr), read as they come. */
  readonly log: JsonLogReader;
  /** The start-up line. */
  readonly ready: LogRecord;
  /** The port it listens on, from the start-up line. */
  readonly port: number;
  /** The temporary directory (removed on dispose). */
  readonly dir: string;
  /** The certificates it serves in production (a CA's and the server's). */
  readonly pki: DevPki | undefined;
  /** Sends `signal` to the child, or to its process group when detached. */
  signal(signal: Deno.Signal): void;
  /** Its exit status, within `timeoutMs` (rejects after that). @default 30_000 */
  exited(timeoutMs?: number): Promise<Deno.CommandStatus>;
}

const DEFAULT_COMMAND = (dir: string) => [
  Deno.execPath(),
  "run",
  "-q",
  "-P=server",
  `--allow-read=${ROOT},${dir}`,
  MAIN,
];

/**
 * Starts the server and waits for its start-up line.
 *
 * @param options what to run and how
 * @returns the running server; `await using` it
 *
 * @example
 * ```ts
 * await using server = await spawnMain({ secret: "s".repeat(40), env: { GREETER_ADMIN: "off" } });
 * const call = await server.log.next(/SayHello/);
 * ```
 */
export async function spawnMain(options: SpawnMainOptions = {}): Promise<MainProcess> {
  const dir = await Deno.makeTempDir({ prefix: "greeter-main-" });
  let pki: DevPki | undefined;
  const env: Record<string, string> = { ...hermeticEnv(), GREETER_LOG_FORMAT: "json" };
  if (options.secret !== undefined) {
    // Production refuses certificates from a development CA.
    pki = options.pki ?? await generateDevPki({ caCommonName: "Example Corp Issuing CA" });
    await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
    await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
    await Deno.writeTextFile(`${dir}/ca.pem`, pki.caCert);
    Object.assign(env, {
      GREETER_ENV: "production",
      GREETER_JWT_SECRET: options.secret,
      GREETER_TLS_CERT: `${dir}/server.pem`,
      GREETER_TLS_KEY: `${dir}/server.key.pem`,
    });
  }
  Object.assign(env, options.env);
  const [executable, ...args] = (options.command ?? DEFAULT_COMMAND)(dir);
  const child = new Deno.Command(executable, {
    args: [...args, ...(options.flags ?? ["--port", "0"])],
    cwd: options.cwd ?? ROOT,
    clearEnv: true,
    env,
    detached: options.detached ?? false,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = jsonLogReader(child.stderr);
  const signal = (signal: Deno.Signal) => {
    if (options.detached) Deno.kill(-child.pid, signal);
    else child.kill(signal);
  };
  const dispose = async () => {
    const graceMs = options.graceMs ?? 0;
    if (graceMs > 0) {
      try {
        signal("SIGTERM");
      } catch { /* already exited */ }
      await within(child.status, graceMs, "the exit after SIGTERM").catch(() => {});
    }
    try {
      signal("SIGKILL");
    } catch { /* already exited */ }
    await log.cancel();
    await within(child.status, 10_000, "the killed server's exit");
    await Deno.remove(dir, { recursive: true });
  };
  let ready: LogRecord;
  try {
    ready = await log.next(
      options.ready ?? /Greeter listening|workers listening/,
      options.readyTimeoutMs ?? 60_000,
    );
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    child,
    log,
    ready,
    port: Number(ready.port ?? String(ready.address).split(":").pop()),
    dir,
    pki,
    signal,
    exited: (timeoutMs = 30_000) => within(child.status, timeoutMs, "the server's exit"),
    [Symbol.asyncDispose]: dispose,
  };
}
