/**
 * A bare Greeter server: the same business logic and grpc-js adapter, TLS and
 * connection settings as {@linkcode startGreeterServer}, but no interceptors
 * (no auth, no call logging) and no health service. It is the baseline the
 * bench compares the full stack against, so the difference between the two is
 * what the interceptors cost. Never serve real traffic with it: it accepts
 * every caller.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@logtape/logtape";
import { createServerCredentials, type ServerTlsMaterial } from "../server/credentials.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../shared/defaults.ts";
import { createGreeterService } from "../server/handlers/greeter.ts";
import { toGrpcHandlers } from "../server/handlers/grpc_adapter.ts";
import { greeterLogger } from "../shared/log.ts";
import { loadGreeterProto } from "../shared/proto.ts";
import { SERVER_CONNECTION_OPTIONS } from "../server/greeter_server.ts";

/** Options for {@linkcode startBareGreeterServer}. */
export interface BareServerOptions {
  /** Address to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** TLS material, or `null` for plaintext. */
  tls: ServerTlsMaterial | null;
  /** Pause between `SayHelloStream` replies, in ms. @default 0 */
  streamIntervalMs?: number;
  /** Where unexpected handler errors go. @default greeterLogger("bench", "bare") */
  logger?: Logger;
  /**
   * Server interceptors, first outermost; the bench scripts add one at a time
   * to see what each costs. @default [] (none: the baseline)
   */
  interceptors?: grpc.ServerInterceptor[];
}

/** A listening bare server. */
export interface BareGreeterServer extends AsyncDisposable {
  /** The bound port. */
  readonly port: number;
  /** `host:port` to dial, IPv6 hosts in brackets. */
  readonly address: string;
  /** Stops at once: calls in flight are cut off. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Starts a bare Greeter server and resolves once it is listening.
 *
 * @param options address and TLS material
 * @returns the running server; dispose it (or `shutdown()`) when done
 *
 * @example
 * ```ts
 * await using bare = await startBareGreeterServer({ tls: { cert, key } });
 * ```
 */
export async function startBareGreeterServer(
  options: BareServerOptions,
): Promise<BareGreeterServer> {
  const logger = options.logger ?? greeterLogger("bench", "bare");
  const host = options.host ?? "127.0.0.1";
  const server = new grpc.Server({
    ...SERVER_CONNECTION_OPTIONS,
    "grpc.max_receive_message_length": DEFAULT_MAX_MESSAGE_BYTES,
    interceptors: options.interceptors ?? [],
  });
  server.addService(
    loadGreeterProto().helloworld.Greeter.service,
    toGrpcHandlers(createGreeterService({ streamIntervalMs: options.streamIntervalMs }), logger),
  );
  const bindHost = host.includes(":") ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${bindHost}:${options.port ?? 0}`,
      createServerCredentials(options.tls),
      (error, bound) => error ? reject(error) : resolve(bound),
    );
  });
  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    stopped ??= new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    });
    return stopped;
  };
  return {
    port,
    address: `${bindHost}:${port}`,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
