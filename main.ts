/**
 * The Greeter server: `deno task server` (TLS + JWT), `deno task server:basic`
 * (plaintext, no auth) and `deno task certs`.
 *
 * Parse, validate, wire, run: configuration mistakes are one line on stderr
 * and exit code 2; SIGINT/SIGTERM drain in-flight calls and exit 0.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { ensureDevCertificates } from "./lib/shared/dev_certs.ts";
import { ConfigError, EXIT_CONFIG } from "./lib/cli/config_error.ts";
import { readEnv } from "./lib/cli/settings.ts";
import {
  loadServerConfig,
  SERVER_ENV_NAMES,
  type ServerConfig,
  serverUsage,
} from "./lib/server/config.ts";
import { DEV_CERTS_DIR } from "./lib/shared/defaults.ts";
import { checkDenoVersion } from "./lib/shared/deno_version.ts";
import { greeterLogger, grpcJsLogger, setupLogging } from "./lib/shared/log.ts";
import { describeServed, serveFromConfig } from "./lib/server/serve_from_config.ts";
import {
  DEFAULT_COPY_WINDOW_MS,
  listenForShutdownSignals,
  type ShutdownSignals,
} from "./lib/server/signals.ts";
import { resolveServerMaterial } from "./lib/server/material.ts";
import {
  superviseWorkers,
  WORKER_INDEX_ENV,
  WORKER_MEMORY_REPORT_MS,
  WORKER_PORT_ENV,
} from "./lib/server/supervisor.ts";

/** Exit code for a configuration mistake (the one every entry uses). */
export { EXIT_CONFIG };

/**
 * Runs the server CLI and resolves to the process exit code.
 *
 * @example
 * ```ts
 * import { main } from "@greeter/deno-grpc/main.ts";
 *
 * Deno.exit(await main(["--port", "0"]));
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  let config: ServerConfig;
  try {
    config = loadServerConfig(args, readEnv(SERVER_ENV_NAMES));
  } catch (error) {
    return fail(error);
  }
  if (config.command === "help") {
    console.log(serverUsage());
    return 0;
  }
  const deno = checkDenoVersion(Deno.version.deno);
  if (deno.verdict === "refuse" && !config.allowUnsupportedDeno) {
    console.error(`error: ${deno.message}`);
    return EXIT_CONFIG;
  }
  if (config.command === "certs") {
    const result = await ensureDevCertificates(DEV_CERTS_DIR).catch((error) => error as Error);
    if (result instanceof Error) return fail(new ConfigError(result.message));
    console.log(
      result.created
        ? `wrote development certificates to ${result.dir}`
        : `development certificates already present in ${result.dir} (delete them to regenerate)`,
    );
    return 0;
  }

  // Registered before anything else and kept until the process exits: on Deno
  // 2.9.3 a signal arriving while no listener is registered kills the process
  // silently. Disposed last (declared first), after the log is flushed.
  using signals = listenForShutdownSignals({
    onCopy: (signal, sinceFirstMs) =>
      greeterLogger("server").info(
        "{signal} received {sinceFirstMs} ms after the first: taken as a copy of it " +
          "(a process group or deno task delivers several); send it again to force",
        { signal, sinceFirstMs },
      ),
  });
  // A worker's lines and metrics say which worker it is.
  const workerIndex = workerIndexOf(Deno.env.get(WORKER_INDEX_ENV));
  await using _logging = await setupLogging({ ...config.log, worker: workerIndex });
  grpc.setLogger(grpcJsLogger());
  const log = greeterLogger("server");

  // Several workers, or one that is replaced before its memory passes the limit.
  if ((config.workers > 1 || config.workerMaxRssMb > 0) && workerIndex === undefined) {
    return await supervise(config, args, log, signals);
  }

  let served;
  try {
    served = await serveFromConfig(
      workerIndex === undefined
        ? config
        : workerConfig(config, workerIndex, Number(Deno.env.get(WORKER_PORT_ENV))),
      log,
      { reusePort: workerIndex !== undefined, worker: workerIndex },
    );
  } catch (error) {
    return fail(error);
  }
  // A worker tells its supervisor it listens, then its memory every second
  // (stdout carries nothing else; the supervisor may not read /proc without
  // --allow-all). When the report cannot be written, the supervisor is gone
  // (killed with SIGKILL): the worker drains as on SIGTERM rather than live on
  // unsupervised.
  let memoryReports: ReturnType<typeof setInterval> | undefined;
  let orphaned: Promise<string> = new Promise<string>(() => {});
  if (workerIndex !== undefined) {
    console.log(JSON.stringify({ worker: workerIndex, port: served.server.port }));
    orphaned = new Promise<string>((resolve) => {
      memoryReports = setInterval(() => {
        const report = { worker: workerIndex, rss: Deno.memoryUsage().rss };
        try {
          // Not console.log: it swallows the broken pipe that tells the supervisor is gone.
          Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(report)}\n`));
        } catch {
          resolve("supervisor gone (stdout closed)");
        }
      }, WORKER_MEMORY_REPORT_MS);
    });
  }
  const { server } = served;
  log.info("Greeter listening on {address} ({transport}, {auth}, {env}); admin {admin}", {
    ...describeServed(served),
    env: config.env,
  });
  // Once serving, so a configuration mistake stays the one line it is (the leak warning on 2.9.3).
  if (deno.verdict !== "ok") log.warn(deno.message);

  const signal = await Promise.race([signals.drain, orphaned]);
  clearInterval(memoryReports);
  log.info(
    "{signal} received: draining. Health reports NOT_SERVING; new calls are accepted for " +
      "{delay} ms more, then in-flight calls get up to {timeout} ms; send it again after " +
      `${DEFAULT_COPY_WINDOW_MS} ms to force`,
    { signal, delay: config.shutdownDelayMs, timeout: config.drainTimeoutMs },
  );
  signals.force.then((again) => {
    log.warn("{signal} received again: closing in-flight calls now", { signal: again });
    server.forceShutdown();
  });
  const summary = await server.shutdown();
  log.info(
    "shutdown {how} in {durationMs} ms: {inFlightAtStart} in flight, {forcedCalls} cut off, " +
      "{totalCalls} calls served",
    { ...summary, how: summary.graceful ? "graceful" : "forced" },
  );
  return 0;
}

function workerIndexOf(value: string | undefined): number | undefined {
  return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);
}

/**
 * A worker's configuration: the port the supervisor chose, its own admin
 * port (admin port + index), the rest shared.
 */
function workerConfig(config: ServerConfig, index: number, port: number): ServerConfig {
  const admin = config.admin === null || config.admin.port === 0
    ? config.admin
    : { ...config.admin, port: config.admin.port + index };
  return { ...config, port: Number.isInteger(port) && port > 0 ? port : config.port, admin };
}

/**
 * `GREETER_WORKERS` > 1: makes the development material once (so workers do
 * not race to write it), then runs the workers as one server. A drain signal
 * becomes one SIGTERM per worker; a later, forcing one a second SIGTERM.
 * (A terminal's Ctrl-C also reaches the workers directly: within the signal
 * copy window, each worker takes the two as one request.)
 */
async function supervise(
  config: ServerConfig,
  args: readonly string[],
  log: ReturnType<typeof greeterLogger>,
  signals: ShutdownSignals,
): Promise<number> {
  try {
    await resolveServerMaterial(config);
  } catch (error) {
    return fail(error instanceof ConfigError ? error : new ConfigError((error as Error).message));
  }
  const root = new URL("./", import.meta.url).pathname;
  const run = () =>
    superviseWorkers({
      count: config.workers,
      host: config.host,
      port: config.port,
      logger: log,
      drain: signals.drain,
      force: signals.force,
      maxRssBytes: config.workerMaxRssMb * 1e6,
      // A replaced worker's own drain, and a margin, before it is killed.
      retireTimeoutMs: config.shutdownDelayMs + config.drainTimeoutMs + 10_000,
      spawn: (index, port) =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-q",
            `--config=${root}deno.json`,
            // Deno.serve's reusePort (the admin endpoint, shared with a replacement) is unstable.
            "--unstable-net",
            // Workers run with the project's server permission set; its read
            // list (the project) plus any configured file outside it.
            "-P=server",
            `--allow-read=${readList(config, root)}`,
            new URL(import.meta.url).pathname,
            ...args,
          ],
          // The port travels in the environment: flags win over it, so a worker
          // started with `--port 0` would pick a port of its own.
          env: { [WORKER_INDEX_ENV]: String(index), [WORKER_PORT_ENV]: String(port) },
          stdin: "null",
          stdout: "piped",
          stderr: "inherit",
        }).spawn(),
      onReady: (port, pids) =>
        log.info(
          "{workers} {noun} listening on {host}:{port}, sharing the port (pids {pids}); " +
            "{recycling}",
          {
            workers: config.workers,
            noun: config.workers === 1 ? "worker" : "workers",
            host: config.host,
            port,
            pids: pids.join(","),
            recycling: config.workerMaxRssMb > 0
              ? `each replaced before its memory passes ${config.workerMaxRssMb} MB`
              : "memory recycling off",
          },
        ),
    });
  try {
    return await run();
  } catch (error) {
    // Starting a worker needs the permission to run Deno (the `server` set has
    // `deno` on the PATH); anything else is a bug.
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    return fail(
      new ConfigError(
        `GREETER_WORKERS=${config.workers} needs permission to run ${Deno.execPath()} ` +
          `(deno task server allows "deno" on the PATH): ${error.message}`,
      ),
    );
  }
}

/** The project and every file the configuration names, for a worker's `--allow-read`. */
function readList(config: ServerConfig, root: string): string {
  const files = [
    config.tls.certFile,
    config.tls.keyFile,
    config.tls.clientCaFile,
    config.jwt.secretFile,
    config.authzFile,
    config.keys?.caFile,
    config.keys?.kind === "file" ? config.keys.location : undefined,
  ];
  return [root, ...files.filter((f): f is string => f !== undefined)].join(",");
}

function fail(error: unknown): number {
  if (error instanceof ConfigError) {
    console.error(`error: ${error.message}`);
    return EXIT_CONFIG;
  }
  throw error;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
