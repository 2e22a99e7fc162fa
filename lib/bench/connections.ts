/**
 * Separate connections for load: each client gets its own subchannel pool,
 * so N clients really are N TCP (and TLS, HTTP/2) connections.
 *
 * @module
 */
import {
  createGreeterClient,
  type GreeterClientOptions,
  type GreeterConnection,
} from "../client/greeter_client.ts";

/**
 * Opens `count` Greeter clients to the same target, each on its own
 * connection. Without `grpc.use_local_subchannel_pool`, grpc-js would share
 * one subchannel (one TCP connection) between clients with equal settings.
 *
 * @param options the client settings every connection uses
 * @param count how many connections
 * @returns the clients; close each when done
 */
export function openSeparateConnections(
  options: GreeterClientOptions,
  count: number,
): GreeterConnection[] {
  return Array.from({ length: count }, () =>
    createGreeterClient({
      ...options,
      channelOptions: { ...options.channelOptions, "grpc.use_local_subchannel_pool": 1 },
    }));
}
