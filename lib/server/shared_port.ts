/**
 * Listening on a port that several server processes share: a `node:net`
 * listener with `reusePort` (Linux `SO_REUSEPORT`: the kernel spreads new
 * connections over every process listening on the port) hands each
 * connection to grpc-js through `server.createConnectionInjector`, which does
 * the TLS handshake and HTTP/2 as `bindAsync` would. This is how
 * `GREETER_WORKERS` runs one server per core on one port.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import * as net from "node:net";

/** A listener from {@linkcode listenOnSharedPort}. */
export interface SharedPortListener {
  /** The bound port (the one asked for, or the one picked for port 0). */
  readonly port: number;
  /** Stops accepting connections; those already handed to grpc-js stay with it. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` with `reusePort` and hands every connection to
 * `server`. Other processes may listen on the same port the same way.
 *
 * @param server the grpc-js server that serves the connections
 * @param credentials its credentials (TLS or insecure)
 * @param host address to listen on
 * @param port port to listen on; 0 picks a free one (not then shared)
 * @returns the listener
 * @throws {Error} when the address cannot be bound
 *
 * @example
 * ```ts
 * const listener = await listenOnSharedPort(server, credentials, "127.0.0.1", 50051);
 * ```
 */
export async function listenOnSharedPort(
  server: grpc.Server,
  credentials: grpc.ServerCredentials,
  host: string,
  port: number,
): Promise<SharedPortListener> {
  const injector = server.createConnectionInjector(credentials);
  const listener = net.createServer((socket) => injector.injectConnection(socket));
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen({ host, port, reusePort: true } as net.ListenOptions, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  let closed: Promise<void> | undefined;
  return {
    port: (listener.address() as net.AddressInfo).port,
    close() {
      closed ??= new Promise<void>((resolve) => listener.close(() => resolve()));
      return closed;
    },
  };
}
