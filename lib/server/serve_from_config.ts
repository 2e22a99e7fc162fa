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
import {
  ListenError,
  type ReflectionMode,
  type RunningGreeterServer,
  startGreeterServer,
} from "./greeter_server.ts";

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
  const material = await resolveServerMaterial(config);
  for (const note of material.notes) logger.info(note);
  const start = options.start ?? startGreeterServer;
  try {
    const server = await start({
      host: config.host,
      port: config.port,
      tls: material.tls,
      auth: material.auth,
      maxReceiveMessageBytes: config.maxMessageBytes,
      drainTimeoutMs: config.drainTimeoutMs,
      streamIntervalMs: config.streamIntervalMs,
      reflection: REFLECTION_MODES[config.reflection],
      admin: config.admin,
      logger,
    });
    return { server, material };
  } catch (error) {
    if (error instanceof ListenError) throw new ConfigError(error.message);
    throw error;
  }
}

/** One line describing how `served` listens, for the start-up log. */
export function describeServed({ server, material }: Served): Record<string, string> {
  return {
    address: server.address,
    transport: material.tls === null ? "plaintext" : material.tls.clientCa ? "mTLS" : "TLS",
    auth: material.auth === null ? "no auth" : "JWT auth",
    admin: server.adminUrl ?? "off",
  };
}
