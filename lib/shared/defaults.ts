/**
 * Defaults shared by the server and the client, so `deno task server` then
 * `deno task client` agree with no settings at all. Paths are resolved from
 * this module, never from the working directory.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Project root (the directory holding `deno.json`). */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** Default listen / target host. */
export const DEFAULT_HOST = "127.0.0.1";
/** Default listen / target port. */
export const DEFAULT_PORT = 50051;
/** Admin endpoint (metrics, health probes) address: loopback unless the operator opens it. */
export const DEFAULT_ADMIN_HOST = "127.0.0.1";
/**
 * Admin endpoint port: 9464, the port OpenTelemetry's Prometheus exporters
 * use, so it does not collide with Prometheus itself (9090).
 */
export const DEFAULT_ADMIN_PORT = 9464;
/** Default `iss` of tokens, and the issuer the server requires. */
export const DEFAULT_JWT_ISSUER = "greeter";
/** Default `aud` of tokens, and the audience the server requires. */
export const DEFAULT_JWT_AUDIENCE = "helloworld.Greeter";
/** Default receive limit for one message, in bytes (4 MiB, grpc's own default). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Default time in-flight calls get to finish on shutdown, in milliseconds. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** Default pause between `SayHelloStream` replies, in milliseconds. */
export const DEFAULT_STREAM_INTERVAL_MS = 0;
/** Reply bytes a connection may hold for a client that has not read them before streaming handlers wait. */
export const DEFAULT_REPLY_BUFFER_BYTES = 1024 * 1024;
/** Reply bytes all connections together may hold unread before streaming handlers wait. */
export const DEFAULT_REPLY_BUFFER_TOTAL_BYTES = 64 * 1024 * 1024;
/** Time a streaming call may wait for its client to read before it ends, in ms. */
export const DEFAULT_REPLY_STALL_MS = 30_000;
/** Default lifetime of a minted token, in seconds. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** Default deadline of a client call that sets none, in milliseconds. */
export const DEFAULT_CALL_DEADLINE_MS = 5000;
/** Default time a shutdown keeps accepting calls after health turns `NOT_SERVING`, in ms. */
export const DEFAULT_SHUTDOWN_DELAY_MS = 0;

/**
 * Resident memory, in MB, past which the supervisor replaces a server worker,
 * on the Deno releases that leak per connection (docs/RUNTIME.md): with the
 * supervisor's own memory it keeps the whole server under 300 MB.
 */
export const DEFAULT_WORKER_MAX_RSS_MB = 192;
/** Longest accepted name, in characters (Unicode code points). */
export const MAX_NAME_CHARS = 256;
/** Replies `SayHelloStream` sends when the request's `count` is 0. */
export const DEFAULT_STREAM_COUNT = 3;
/** Largest accepted `count` for `SayHelloStream`. */
export const MAX_STREAM_COUNT = 100;

/** Development certificates directory (generated on first start; git-ignored files). */
export const DEV_CERTS_DIR: string = fileURLToPath(new URL("../../certs", import.meta.url));
/** Development state directory (generated JWT secret; git-ignored). */
export const DEV_STATE_DIR: string = fileURLToPath(new URL("../../.greeter", import.meta.url));
/** File holding the generated development JWT secret, shared by server and client. */
export const DEV_SECRET_FILE = `${DEV_STATE_DIR}/jwt-secret`;
/**
 * Default allowed clock difference for token `exp`, `nbf` and `iat`, in
 * seconds: the verifier, the auth interceptor (ending streams at expiry), the
 * interceptor chain and the server's `--jwt-clock-skew` all start from this
 * one value.
 */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
/** Largest accepted clock tolerance, in seconds. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
