/**
 * Calls grpc-js answers before any interceptor sees them, made visible and
 * correct on Deno:
 *
 * - a call to a method the server does not have is answered `UNIMPLEMENTED`
 *   by grpc-js directly (`Server._respondWithError`), so the logging
 *   interceptor never hears of it; {@linkcode logUnroutedCalls} logs it;
 * - a request with a wrong `content-type` is answered with HTTP status
 *   `http2.constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE`, which Deno 2.9.3's
 *   `node:http2` does not define: grpc-js then sends `:status 200` with no
 *   `grpc-status` at all. {@linkcode polyfillHttp2Constants} defines it (415).
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";

/** HTTP status for a request body of the wrong media type (RFC 9110). */
const UNSUPPORTED_MEDIA_TYPE = 415;

/**
 * Defines `http2.constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE` (415) where the
 * runtime lacks it (Deno 2.9.3), so grpc-js answers a wrong `content-type` with
 * `:status 415` as the gRPC-over-HTTP/2 protocol asks. Idempotent.
 *
 * @returns true when the constant had to be added
 */
export function polyfillHttp2Constants(): boolean {
  const constants = http2.constants as unknown as Record<string, number | undefined>;
  if (constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE !== undefined) return false;
  constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE = UNSUPPORTED_MEDIA_TYPE;
  return true;
}

/** What {@linkcode logUnroutedCalls} reports of one call. */
export interface UnroutedCall {
  /** gRPC status sent (`UNIMPLEMENTED` for an unknown method). */
  readonly code: grpc.status;
  /** The status message grpc-js sent (it names the method). */
  readonly details: string;
  /** `address:port` of the client, or `unknown`. */
  readonly peer: string;
}

type RespondWithError = (
  error: { code?: grpc.status; details?: string },
  stream: { session?: { socket?: { remoteAddress?: string; remotePort?: number } } },
  ...rest: unknown[]
) => void;

/**
 * Calls `report` for every call grpc-js answers itself without running the
 * interceptors (today: calls to unknown methods). grpc-js has no public hook
 * for these, so this wraps its `_respondWithError` on `server`; if a grpc-js
 * upgrade renames it, nothing is wrapped and this returns false (a test
 * notices).
 *
 * @returns true when the hook is in place
 */
export function logUnroutedCalls(
  server: grpc.Server,
  report: (call: UnroutedCall) => void,
): boolean {
  const target = server as unknown as { _respondWithError?: RespondWithError };
  const original = target._respondWithError;
  if (typeof original !== "function") return false;
  target._respondWithError = function (error, stream, ...rest) {
    original.call(this, error, stream, ...rest);
    const socket = stream?.session?.socket;
    report({
      code: error.code ?? 13,
      details: error.details ?? "",
      peer: socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : "unknown",
    });
  };
  return true;
}

/** Request headers that must arrive once; a repeat makes the call ambiguous. */
export const SINGLE_VALUE_HEADERS: readonly string[] = ["authorization"];

type StreamListener = (
  stream: unknown,
  headers: Record<string, string | string[] | undefined>,
  flags: number,
  rawHeaders: string[],
) => void;

/**
 * Makes a repeated `authorization` header visible to the interceptors. The
 * HTTP/2 layer (Node's and Deno's `node:http2`) keeps only the first value of
 * such a header, so a request carrying two tokens reached the auth
 * interceptor with one, while a proxy that reads the last one would have seen
 * the other. This puts every value back (from the stream's raw headers) before
 * grpc-js builds the call's metadata, so the auth interceptor sees more than
 * one value and refuses the call (`UNAUTHENTICATED`, "malformed").
 *
 * Call it once the server is bound (grpc-js creates its HTTP/2 servers in
 * `bindAsync`); it reaches them through grpc-js's private `http2Servers` map
 * and returns how many it hooked (0 if a grpc-js upgrade renamed it: a test
 * notices). Cost per call: two built-in scans of the raw header list per
 * name, no allocation unless a header repeats.
 */
export function refuseRepeatedHeaders(
  server: grpc.Server,
  names: readonly string[] = SINGLE_VALUE_HEADERS,
): number {
  const servers = (server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return 0;
  const restore: StreamListener = (_stream, headers, _flags, rawHeaders) => {
    if (!Array.isArray(rawHeaders)) return;
    for (const name of names) {
      // Two built-in scans settle the usual case (the name at most once);
      // the loop below counts only names, never a value that reads the same.
      const first = rawHeaders.indexOf(name);
      if (first === -1 || first === rawHeaders.lastIndexOf(name)) continue;
      let seen = 0;
      for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i] === name) seen++;
      if (seen < 2) continue;
      const values: string[] = [];
      for (let i = 0; i < rawHeaders.length; i += 2) {
        if (rawHeaders[i] === name) values.push(rawHeaders[i + 1]);
      }
      headers[name] = values;
    }
  };
  let hooked = 0;
  for (const http2Server of servers.keys()) {
    const target = http2Server as { prependListener?: (event: string, l: StreamListener) => void };
    if (typeof target.prependListener !== "function") continue;
    target.prependListener("stream", restore);
    hooked++;
  }
  return hooked;
}
