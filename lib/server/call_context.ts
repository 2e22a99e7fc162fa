/**
 * Per-call facts that interceptors establish and handlers read: the request id
 * (set by the logging interceptor) and the verified claims (set by the auth
 * interceptor). Keyed on the call's `Metadata` object, which grpc-js passes by
 * identity from the interceptors to the handler, so nothing travels as a
 * forgeable header and entries vanish with the call.
 *
 * @module
 */
import type { Metadata } from "@grpc/grpc-js";
import type { GreeterClaims } from "../auth/jwt.ts";

/** What the interceptors know about one call. */
export interface CallContext {
  /** Correlates the call's log line, its error logs and any `INTERNAL` reply. */
  requestId: string;
  /** Verified token claims; absent on unauthenticated (public or basic-mode) calls. */
  claims?: GreeterClaims;
}

const contexts = new WeakMap<Metadata, CallContext>();

/**
 * Returns the context bound to `metadata`, creating one (with a fresh request
 * id) on first use.
 */
export function callContextOf(metadata: Metadata): CallContext {
  let context = contexts.get(metadata);
  if (context === undefined) {
    context = { requestId: crypto.randomUUID() };
    contexts.set(metadata, context);
  }
  return context;
}
