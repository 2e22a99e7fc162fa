/**
 * Per-call facts that interceptors establish and handlers read: the request id
 * (the caller's well-formed `x-request-id`, or a new one), the trace and span
 * ids (set by the tracing interceptor when tracing is on) and the verified
 * claims (set by the auth interceptor).
 *
 * Handlers read them with {@linkcode callContext}, passing only the call
 * object. Underneath, the facts are keyed on the call's `Metadata` object,
 * which grpc-js passes by identity from the interceptors to the handler, so
 * nothing travels as a forgeable header and entries vanish with the call.
 *
 * @module
 */
import type { Metadata } from "@grpc/grpc-js";
import type { Identity } from "../auth/authz_policy.ts";
import type { GreeterClaims } from "../auth/jwt.ts";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request_id.ts";

/** What the interceptors know about one call. */
export interface CallContext {
  /** Correlates the call's log line, its error logs and any `INTERNAL` reply. */
  requestId: string;
  /** Verified token claims; absent on unauthenticated (public or basic-mode) calls. */
  claims?: GreeterClaims;
  /** The verified caller (subject, scopes, roles); set with {@linkcode claims}. */
  identity?: Identity;
  /** Trace id of the call's server span (32 hex digits); absent when tracing is off. */
  traceId?: string;
  /** Id of the call's server span (16 hex digits); absent when tracing is off. */
  spanId?: string;
}

/** Any grpc-js server call: unary, server stream, client stream or bidi. */
export interface ServerCallLike {
  /** The request metadata, as the interceptors saw it. */
  readonly metadata: Metadata;
}

/**
 * Where a call's context lives: a property of the call's `Metadata` under a
 * symbol of this module, so nothing outside can read or forge it (it is not
 * a metadata entry and never sent: grpc-js reads metadata only through its
 * entries). A plain assignment: `Object.defineProperty` made it
 * non-enumerable for 0.16 µs more a call, and nothing enumerates the
 * metadata's own symbols.
 *
 * Not a `WeakMap` keyed on the metadata: V8's young-generation collector
 * keeps a `WeakMap`'s keys alive, so every call's metadata (with its header
 * strings) survived into the old generation and was freed only by a full
 * collection: on a busy server, hundreds of bytes promoted per call and
 * scavenges ten times as long (`--trace-gc`; see BENCHMARKS.md).
 */
const CONTEXT = Symbol("greeter.callContext");

/** A call's `Metadata` with the context slot this module adds. */
type WithContext = Metadata & { [CONTEXT]?: CallContext };

/**
 * Returns the context bound to `metadata`, creating one on first use, with
 * the caller's `x-request-id` when it is well formed (see
 * {@linkcode requestIdFrom}) or a new one. For interceptors; handlers use
 * {@linkcode callContext}.
 */
export function callContextOf(metadata: Metadata): CallContext {
  let context = (metadata as WithContext)[CONTEXT];
  if (context === undefined) {
    const incoming = metadata.get(REQUEST_ID_HEADER);
    context = { requestId: requestIdFrom(incoming.length === 1 ? incoming[0] : undefined) };
    (metadata as WithContext)[CONTEXT] = context;
  }
  return context;
}

/**
 * What the interceptor chain established for `call`: its request id and, on
 * an authenticated call, the verified claims. Works in all four kinds of
 * handler; the result is read-only.
 *
 * @param call the handler's call object
 * @returns the call's request id and claims (no claims on public or unauthenticated calls)
 *
 * @example Greeting the caller by their token's subject
 * ```ts
 * import type * as grpc from "@grpc/grpc-js";
 * import { callContext } from "@greeter/deno-grpc";
 *
 * function sayHello(
 *   call: grpc.ServerUnaryCall<{ name: string }, { message: string }>,
 *   callback: grpc.sendUnaryData<{ message: string }>,
 * ) {
 *   const { claims, requestId } = callContext(call);
 *   callback(null, { message: `Hello, ${call.request.name}! (${claims?.sub}, ${requestId})` });
 * }
 * ```
 */
export function callContext(call: ServerCallLike): Readonly<CallContext> {
  return callContextOf(call.metadata);
}
