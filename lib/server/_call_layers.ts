/**
 * The `node:http2` stream under a grpc-js server call, found through
 * grpc-js's internal call layers.
 *
 * grpc-js wraps its base call, which holds the HTTP/2 stream as `stream`, in
 * one layer per interceptor; each layer keeps the call below it as
 * `nextCall` (grpc-js's `ServerInterceptingCall`, and this project's
 * `StagedCall`, which keeps that name for this walk). A handler's call keeps
 * the outermost layer as `call`. The peer cache, the tracing stage, the call
 * line's sent-status lookup and the adapter's reply budget all read the
 * stream this way. These are internal fields: a grpc-js without them gives
 * `undefined`, and each reader then does without (as it says).
 *
 * @module
 */
import type * as http2 from "node:http2";

/** A call layer, as far as the walk reads it (internal, hence optional, fields). */
interface CallLayer {
  nextCall?: CallLayer;
  stream?: http2.ServerHttp2Stream;
}

/** Layers walked at most: grpc-js adds one per interceptor. */
const MAX_LAYERS = 16;

/**
 * The HTTP/2 stream under an interceptor's call (`nextCall` down to the base
 * call's `stream`), or `undefined` for a call without one (a test double, or
 * a grpc-js whose internals moved).
 *
 * @param call the call an interceptor receives, or any layer under it
 * @returns the HTTP/2 stream, or `undefined`
 *
 * @example
 * ```ts
 * const session = http2StreamOf(call)?.session; // the call's connection
 * ```
 */
export function http2StreamOf(call: object | undefined): http2.ServerHttp2Stream | undefined {
  let layer = call as CallLayer | undefined;
  for (let depth = 0; layer !== undefined && depth < MAX_LAYERS; depth++) {
    if (layer.stream !== undefined) return layer.stream;
    layer = layer.nextCall;
  }
  return undefined;
}

/**
 * The HTTP/2 stream under a handler's call (its `call`, then as
 * {@linkcode http2StreamOf}).
 *
 * @param call the call a grpc-js handler receives
 * @returns the HTTP/2 stream, or `undefined`
 */
export function handlerHttp2StreamOf(call: object): http2.ServerHttp2Stream | undefined {
  return http2StreamOf((call as { call?: object }).call);
}
