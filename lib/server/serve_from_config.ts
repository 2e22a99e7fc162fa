/**
 * Configuration -> a running Greeter: the wiring shared by `main.ts` and the
 * demo, so both start exactly the same server.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { ConfigError } from "../cli/config_error.ts";
import type { ServerConfig } from "./config.ts";
import { resolveServerMaterial, type ServerMaterial } from "./material.ts";
import { createServerMetrics } from "./metrics.ts";
import { createTraceSampler } from "../shared/tracing.ts";
import {
  ListenError,
  type ReflectionMode,
  type RunningGreeterServer,
  startGreeterServer,
} from "./greeter_server.ts";
import type { KeySource } from "../auth/jwks.ts";

/** `GREETER_REFLECTION` values to the server's reflection modes. */
const REFLECTION_MODES: Record<ServerConfig["reflection"], ReflectionMode> = {
  on: "public",
  auth: "authenticated",
  off: "off",
};

/** A started server and the material it runs with. */
export interface Served {
  /** The listening server. */
  readonly server: RunningGreeterServer;
  /** Its TLS and token material, with notes on what was generated. */
  readonly material: ServerMaterial;
}

/** Seams of {@linkcode serveFromConfig}, for tests. */
export interface ServeFromConfigOptions {
  /** Starts the server. @default startGreeterServer */
  start?: typeof startGreeterServer;
  /** Pause between start-up attempts to load the provider's keys (development). @default 5000 */
  keyRetryMs?: number;
  /** Share the port with other processes (a `GREETER_WORKERS` worker). @default false */
  reusePort?: boolean;
  /**
   * Index of the `GREETER_WORKERS` worker this server is: its metrics carry a
   * `worker` label. @default none (a single server)
   */
  worker?: number;
}

/**
 * Resolves the material for `config` and starts the server it describes.
 *
 * This is the serve boundary: configuration mistakes (unreadable or
 * development material where it is refused, an address that cannot be bound)
 * become a {@linkcode ConfigError}, which the entry prints as one line with
 * exit code 2. Anything else is a bug and is rethrown as it is, stack and all.
 *
 * @param config the validated server configuration
 * @param logger where the notes on generated material go
 * @param options seams for tests
 * @returns the listening server and its material
 * @throws {ConfigError} for configuration mistakes, including an address that cannot be bound
 */
export async function serveFromConfig(
  config: ServerConfig,
  logger: Logger,
  options: ServeFromConfigOptions = {},
): Promise<Served> {
  const keyLog = logger.getChild("keys");
  const material = await resolveServerMaterial(config, {
    onKeyEvent: (event) =>
      event.kind === "refreshed"
        ? keyLog.info("signing keys from {source}: {keys} published", { ...event })
        : keyLog.warn(
          "cannot refresh signing keys from {source} ({error}); keeping {keys} cached",
          {
            ...event,
          },
        ),
  });
  for (const note of material.notes) logger.info(note);
  const start = options.start ?? startGreeterServer;
  const stopKeys = material.keys === undefined
    ? () => {}
    : keepLoadingKeys(material.keys, material.keysPending, keyLog, options.keyRetryMs ?? 5000);
  try {
    const server = await start({
      host: config.host,
      port: config.port,
      tls: material.tls,
      auth: material.auth,
      maxReceiveMessageBytes: config.maxMessageBytes,
      shutdownDelayMs: config.shutdownDelayMs,
      drainTimeoutMs: config.drainTimeoutMs,
      streamIntervalMs: config.streamIntervalMs,
      replyFlow: {
        connectionBytes: config.replyBufferBytes,
        totalBytes: config.replyBufferTotalBytes,
        stallMs: config.replyStallMs,
      },
      connectionReadLimitBytesPerSecond: config.connectionReadLimitMbps * 1e6,
      reflection: REFLECTION_MODES[config.reflection],
      tracing: { sampler: createTraceSampler(config.traceSampler.name, config.traceSampler.ratio) },
      admin: config.admin,
      ...(options.worker === undefined || config.admin === null
        ? {}
        : { metrics: createServerMetrics({ worker: options.worker }) }),
      reusePort: options.reusePort ?? false,
      logger,
    });
    if (material.keys !== undefined) closeWithServer(server, stopKeys);
    return { server, material };
  } catch (error) {
    stopKeys();
    if (error instanceof ListenError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * In development a provider that is down at start does not stop the server:
 * keys are retried every `retryMs`, each failure said in the log, and tokens
 * are refused (`UNAUTHENTICATED`) until the keys load.
 *
 * @returns stops the retries and closes the key source
 */
function keepLoadingKeys(
  keys: KeySource,
  pending: string | undefined,
  log: Logger,
  retryMs: number,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const retry = (reason: string) => {
    log.warn(
      "{reason}; retrying in {seconds} s (development; production refuses to start). " +
        "Calls with tokens get UNAUTHENTICATED until the keys load",
      { reason, seconds: retryMs / 1000 },
    );
    timer = setTimeout(() => {
      keys.refresh().then(
        () => log.info("signing keys loaded from {source}", { source: keys.description }),
        (error: Error) => {
          if (!stopped) retry(error.message);
        },
      );
    }, retryMs);
  };
  if (pending !== undefined) retry(pending);
  return () => {
    stopped = true;
    clearTimeout(timer);
    keys.close();
  };
}

/** Makes every way of stopping `server` also run `release` once it has stopped. */
function closeWithServer(server: RunningGreeterServer, release: () => void): void {
  const after = <T>(stop: () => Promise<T>) => async () => {
    try {
      return await stop();
    } finally {
      release();
    }
  };
  const shutdown = after(server.shutdown.bind(server));
  const forceShutdown = after(server.forceShutdown.bind(server));
  Object.assign(server, {
    shutdown,
    forceShutdown,
    [Symbol.asyncDispose]: async () => {
      await shutdown();
    },
  });
}

/** One line describing how `served` listens, for the start-up log. */
export function describeServed({ server, material }: Served): Record<string, string> {
  return {
    address: server.address,
    transport: material.tls === null ? "plaintext" : material.tls.clientCa ? "mTLS" : "TLS",
    auth: material.auth === null
      ? "no auth"
      : material.keys === undefined
      ? "JWT auth (shared secret)"
      : `JWT auth (${material.keys.description})`,
    admin: server.adminUrl ?? "off",
  };
}
