/**
 * Open connections and streams of a grpc-js server, read through channelz,
 * grpc-js's public introspection interface (`getChannelzHandlers()`, the
 * handlers of the `grpc.channelz.v1.Channelz` service, and
 * `Server.getChannelzRef()`), rather than through grpc-js's private
 * `sessions` map. The channelz messages are a published protocol
 * (`grpc/channelz/v1/channelz.proto`), so a grpc-js upgrade cannot change
 * them silently; tests/server/channelz_counts_test.ts checks the figures
 * against connections and streams it holds open.
 *
 * Channelz is on in grpc-js unless the server is built with
 * `grpc.enable_channelz: 0`; then no sockets are listed and both counts are 0.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";

/** What is read of a channelz `GetServerSockets` answer. */
interface ServerSocketsReply {
  socket_ref?: { socket_id?: string | number }[];
  end?: boolean;
}

/** What is read of a channelz `GetSocket` answer. */
interface SocketReply {
  socket?: {
    data?: { streams_started?: string; streams_succeeded?: string; streams_failed?: string };
  };
}

type UnaryHandler = (
  call: { request: Record<string, string> },
  callback: (error: unknown, reply?: unknown) => void,
) => void;

/** Calls one channelz handler in process; grpc-js answers synchronously. */
function ask<T>(handler: UnaryHandler, request: Record<string, string>): T | undefined {
  let answer: T | undefined;
  handler({ request }, (error, reply) => {
    if (error === null || error === undefined) answer = reply as T;
  });
  return answer;
}

/** The server's connections (HTTP/2 sessions) and the streams open on them. */
export interface ConnectionCounts {
  /** Open client connections. */
  connections: number;
  /** Streams started and not yet ended, over all connections. */
  openStreams: number;
}

/**
 * Counts `server`'s open connections and streams through channelz.
 *
 * @param server a grpc-js server that has been bound
 * @returns the counts (0 and 0 when channelz is off or nothing is connected)
 *
 * @example
 * ```ts
 * import * as grpc from "@grpc/grpc-js";
 * import { connectionCounts } from "./channelz_counts.ts";
 *
 * const server = new grpc.Server();
 * const { connections, openStreams } = connectionCounts(server);
 * ```
 */
export function connectionCounts(server: grpc.Server): ConnectionCounts {
  const handlers = grpc.getChannelzHandlers() as unknown as Record<string, UnaryHandler>;
  const serverId = String(server.getChannelzRef().id);
  let connections = 0;
  let openStreams = 0;
  let start = "0";
  for (;;) {
    const page = ask<ServerSocketsReply>(handlers.GetServerSockets, {
      server_id: serverId,
      start_socket_id: start,
      max_results: "0",
    });
    const refs = page?.socket_ref ?? [];
    for (const ref of refs) {
      const data = ask<SocketReply>(handlers.GetSocket, { socket_id: String(ref.socket_id) })
        ?.socket?.data;
      if (data === undefined) continue;
      connections++;
      const open = Number(data.streams_started) - Number(data.streams_succeeded) -
        Number(data.streams_failed);
      if (open > 0) openStreams += open;
    }
    if (page?.end !== false || refs.length === 0) break;
    start = String(Number(refs[refs.length - 1].socket_id) + 1);
  }
  return { connections, openStreams };
}
