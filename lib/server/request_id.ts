/**
 * Request ids: keep the one a proxy or mesh already gave the call (Envoy,
 * nginx `$request_id`, a service mesh) so one request can be followed across
 * hops, but only when it is well formed; otherwise make a new one.
 *
 * @module
 */

/** Metadata key (and response header and trailer) carrying the request id. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Longest incoming request id kept, in characters. */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * What an incoming id may contain: letters, digits and `-_.:/+=`, which covers
 * UUIDs, nginx's hex `$request_id`, Envoy's ids, ULIDs, base64 and
 * `service:counter` forms. Anything else (spaces, quotes, control characters
 * that could forge log lines) makes the server use a new id instead.
 */
const WELL_FORMED = /^[A-Za-z0-9\-_.:/+=]+$/;

/**
 * Returns `incoming` when it is a well-formed request id (1 to
 * {@linkcode MAX_REQUEST_ID_LENGTH} characters of the allowed alphabet),
 * otherwise a new random UUID.
 *
 * @param incoming the `x-request-id` value the caller sent, if any
 * @returns the id to use for the call
 *
 * @example
 * ```ts
 * requestIdFrom("3f0c9a7e-proxy-42"); // "3f0c9a7e-proxy-42"
 * requestIdFrom("bad id\n");          // a fresh UUID
 * ```
 */
export function requestIdFrom(incoming: unknown): string {
  if (
    typeof incoming === "string" && incoming.length > 0 &&
    incoming.length <= MAX_REQUEST_ID_LENGTH && WELL_FORMED.test(incoming)
  ) {
    return incoming;
  }
  return crypto.randomUUID();
}
