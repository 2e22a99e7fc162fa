/**
 * A per-connection cap on the bytes a client sends per second: the one
 * in-process signal for a flood of frames the runtime does not limit. A
 * connection sending only WINDOW_UPDATE frames has no stream and no call,
 * and `node:http2` has no event for those frames (in Node as in Deno), so
 * nothing above the socket sees it; its socket's `bytesRead` does. On
 * loopback such a flood reaches 40-120 MB/s and takes other clients' p99
 * from tens of ms to about a second, while at ~15 MB/s it doubles it at most
 * (BENCHMARKS.md, "Connection floods"). The cap bounds a flood to a rate the
 * server copes with, at the cost of cutting a client that really uploads
 * faster for as long: so it is off unless asked for.
 *
 * It reaches grpc-js's HTTP/2 servers through the private `http2Servers` map,
 * as `refuseRepeatedHeaders` does, so it covers both `bindAsync` and the
 * shared-port injector.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type * as http2 from "node:http2";

/** Options for {@linkcode guardReadRate}. */
export interface ReadRateGuardOptions {
  /** Bytes per second a connection may send; above it for `seconds` in a row, it is closed. */
  maxBytesPerSecond: number;
  /** Consecutive seconds over the cap before the connection is closed. @default 2 */
  seconds?: number;
  /** Told about each connection closed, with what it sent in its last second. */
  onClose?: (peer: string, bytesPerSecond: number) => void;
}

/** A running guard from {@linkcode guardReadRate}. */
export interface ReadRateGuard {
  /** HTTP/2 servers hooked (0 if a grpc-js upgrade renamed its private map: a test notices). */
  readonly hooked: number;
  /** Stops watching (at shutdown). */
  stop(): void;
}

interface Watched {
  lastRead: number;
  strikes: number;
}

/** Bytes the session's socket has read, or undefined once it is gone. */
function bytesRead(session: http2.ServerHttp2Session): number | undefined {
  try {
    const read = (session.socket as { bytesRead?: number } | undefined)?.bytesRead;
    return typeof read === "number" ? read : undefined;
  } catch {
    // The session's socket proxy throws once the session has let it go.
    return undefined;
  }
}

/**
 * Watches every connection of `server` once a second and closes one that
 * sent more than `maxBytesPerSecond` in each of `seconds` consecutive
 * seconds. Call it once the server is bound.
 *
 * @param server the grpc-js server (bound)
 * @param options the cap
 * @returns the guard; `stop()` it at shutdown
 *
 * @example
 * ```ts
 * const guard = guardReadRate(server, { maxBytesPerSecond: 32e6 });
 * // ... at shutdown:
 * guard.stop();
 * ```
 */
export function guardReadRate(server: grpc.Server, options: ReadRateGuardOptions): ReadRateGuard {
  const seconds = options.seconds ?? 2;
  const sessions = new Map<http2.ServerHttp2Session, Watched>();
  const servers = (server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers;
  let hooked = 0;
  if (servers instanceof Map) {
    for (const http2Server of servers.keys()) {
      const target = http2Server as { on?: (event: string, l: (s: unknown) => void) => void };
      if (typeof target.on !== "function") continue;
      target.on("session", (value) => {
        const session = value as http2.ServerHttp2Session;
        sessions.set(session, { lastRead: bytesRead(session) ?? 0, strikes: 0 });
        session.once("close", () => sessions.delete(session));
      });
      hooked++;
    }
  }
  const timer = setInterval(() => {
    for (const [session, watched] of sessions) {
      const read = bytesRead(session);
      if (read === undefined) {
        sessions.delete(session);
        continue;
      }
      const sent = read - watched.lastRead;
      watched.lastRead = read;
      watched.strikes = sent > options.maxBytesPerSecond ? watched.strikes + 1 : 0;
      if (watched.strikes < seconds) continue;
      sessions.delete(session);
      let peer = "unknown";
      try {
        peer = `${session.socket?.remoteAddress}:${session.socket?.remotePort}`;
      } catch { /* gone */ }
      options.onClose?.(peer, sent);
      session.destroy();
    }
  }, 1000);
  // The guard alone never keeps the process alive.
  Deno.unrefTimer(timer);
  return {
    hooked,
    stop() {
      clearInterval(timer);
      sessions.clear();
    },
  };
}
