/**
 * Configuration -> a running Greeter: the wiring shared by `main.ts` and the
 * demo, so both start exactly the same server.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { ConfigError, type ServerConfig } from "./config.ts";
import { resolveServerMaterial, type ServerMaterial } from "./material.ts";
import { type RunningGreeterServer, startGreeterServer } from "./greeter_server.ts";

/** A started server and the material it runs with. */
export interface Served {
  /** The listening server. */
  readonly server: RunningGreeterServer;
  /** Its TLS and token material, with notes on what was generated. */
  readonly material: ServerMaterial;
}

/**
 * Resolves the material for `config` and starts the server it describes.
 *
 * @throws {ConfigError} for configuration mistakes, including an address that cannot be bound
 */
export async function serveFromConfig(config: ServerConfig, logger: Logger): Promise<Served> {
  const material = await resolveServerMaterial(config);
  for (const note of material.notes) logger.info(note);
  try {
    const server = await startGreeterServer({
      host: config.host,
      port: config.port,
      tls: material.tls,
      auth: material.auth,
      maxReceiveMessageBytes: config.maxMessageBytes,
      drainTimeoutMs: config.drainTimeoutMs,
      streamIntervalMs: config.streamIntervalMs,
      logger,
    });
    return { server, material };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** One line describing how `served` listens, for the start-up log. */
export function describeServed({ server, material }: Served): Record<string, string> {
  return {
    address: server.address,
    transport: material.tls === null ? "plaintext" : material.tls.clientCa ? "mTLS" : "TLS",
    auth: material.auth === null ? "no auth" : "JWT auth",
  };
}
