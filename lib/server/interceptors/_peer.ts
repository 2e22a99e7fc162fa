/**
 * The peer address of a call, read once per connection.
 *
 * grpc-js's `getPeer()` reads the socket's remote address and port through
 * the HTTP/2 session on every call; under Deno's `node:http2` those getters
 * cost about 4 µs a call (the largest single difference between the full
 * stack and the bare server in a CPU profile). The address of a connection
 * never changes, so it is kept per HTTP/2 session, which grpc-js's base call
 * exposes as `stream.session` (found as `_call_layers.ts` says); a call
 * without one (a test double) falls back to `getPeer()` every time.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { http2StreamOf } from "../_call_layers.ts";

const peers = new WeakMap<object, string>();

/**
 * The call's peer (`address:port`), as `call.getPeer()` gives it, cached per
 * HTTP/2 session. Read it when the call starts: once the stream has closed,
 * grpc-js reports `unknown`, which is never cached.
 *
 * @param call the call an interceptor receives
 * @returns the peer address, or `unknown`
 */
export function peerOf(call: grpc.ServerInterceptingCallInterface): string {
  const session = http2StreamOf(call)?.session;
  if (session === undefined || session === null) return call.getPeer();
  let peer = peers.get(session);
  if (peer === undefined) {
    peer = call.getPeer();
    if (peer !== "unknown") peers.set(session, peer);
  }
  return peer;
}
