/**
 * Per-call facts that interceptors establish and handlers read: the request id
 * (set by the logging interceptor) and the verified claims (set by the auth
 * interceptor).
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

/** What the interceptors know about one call. */
export interface CallContext {
  /** Correlates the call's log line, its error logs and any `INTERNAL` reply. */
  requestId: string;
  /** Verified token claims; absent on unauthenticated (public or basic-mode) calls. */
  claims?: GreeterClaims;
  /** The verified caller (subject, scopes, roles); set with {@linkcode claims}. */
  identity?: Identity;
}

/** Any grpc-js server call: unary, server stream, client stream or bidi. */
export interface ServerCallLike {
  /** The request metadata, as the interceptors saw it. */
  readonly metadata: Metadata;
}

const contexts = new WeakMap<Metadata, CallContext>();

/**
 * Returns the context bound to `metadata`, creating one (with a fresh request
 * id) on first use. For interceptors; handlers use {@linkcode callContext}.
 */
export function callContextOf(metadata: Metadata): CallContext {
  let context = contexts.get(metadata);
  if (context === undefined) {
    context = { requestId: crypto.randomUUID() };
    contexts.set(metadata, context);
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
