/**
 * The client's answer to denoland/deno#36788: on a Deno release that aborts
 * when an idle HTTP/2 session receives a GOAWAY, a channel closes its own
 * connection after a minute without calls, so it is the side that sends the
 * GOAWAY, well before a server or proxy with a longer idle limit sends one.
 *
 * Measured by `scripts/stability_matrix.ts` (docs/RUNTIME.md): on Deno 2.9.6,
 * grpc-js clients that made 13/100/225 calls and then received the server's
 * GOAWAY after 250 s idle aborted in 8 of 18 (case b, three runs); with
 * `grpc.client_idle_timeout_ms` at 60 s, 0 of 36 did (case c, six runs);
 * over 2.9.4-2.9.6, 13 of 30 against 0 of 48.
 *
 * On the releases that do not crash the grpc-js default (30 minutes) stays:
 * there every reconnect costs a Deno 2.9.3 server another ~40 KB that it
 * never frees (case h), so closing idle channels early would only feed the
 * leak.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { checkDenoVersion } from "../shared/deno_version.ts";

/**
 * Idle timeout of a channel on a Deno release that crashes on a received
 * GOAWAY, in milliseconds. grpc-js closes the connection when it next sweeps
 * unused subchannels (every 10 s), so within 70 s of the last call: below the
 * common 5-minute server idle limits, and far below the 250 s of the upstream
 * reproduction.
 */
export const CRASH_SAFE_IDLE_TIMEOUT_MS = 60_000;

/**
 * Channel options that make an idle channel close itself on the Deno releases
 * the version guard refuses; none elsewhere.
 *
 * @param denoVersion the runtime's version
 * @default Deno.version.deno
 * @returns `{ "grpc.client_idle_timeout_ms": 60000 }` on a crashing release, else `{}`
 *
 * @example
 * ```ts
 * const client = new grpc.Client(target, credentials, { ...idleTimeoutChannelOptions() });
 * ```
 */
export function idleTimeoutChannelOptions(
  denoVersion: string = Deno.version.deno,
): grpc.ChannelOptions {
  return checkDenoVersion(denoVersion).verdict === "refuse"
    ? { "grpc.client_idle_timeout_ms": CRASH_SAFE_IDLE_TIMEOUT_MS }
    : {};
}
