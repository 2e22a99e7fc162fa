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
import { DEFAULT_COPY_WINDOW_MS, listenForShutdownSignals } from "./lib/server/signals.ts";

/** Exit code for a configuration mistake (the one every entry uses). */
export { EXIT_CONFIG };

/** Runs the server CLI and resolves to the process exit code. */
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
  await using _logging = await setupLogging(config.log);
  grpc.setLogger(grpcJsLogger());
  const log = greeterLogger("server");

  let served;
  try {
    served = await serveFromConfig(config, log);
  } catch (error) {
    return fail(error);
  }
  const { server } = served;
  log.info("Greeter listening on {address} ({transport}, {auth}, {env}); admin {admin}", {
    ...describeServed(served),
    env: config.env,
  });
  // Once serving, so a configuration mistake stays the one line it is (the leak warning on 2.9.3).
  if (deno.verdict !== "ok") log.warn(deno.message);

  const signal = await signals.drain;
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

function fail(error: unknown): number {
  if (error instanceof ConfigError) {
    console.error(`error: ${error.message}`);
    return EXIT_CONFIG;
  }
  throw error;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
