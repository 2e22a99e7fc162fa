/**
 * TLS material -> grpc-js channel credentials for the Greeter client.
 *
 * The server certificate is always verified against the given CA (never the
 * system store, never skipped); a client certificate is added for mTLS when
 * configured; plaintext only when the caller passes `null`. There is no
 * fallback from TLS to plaintext: a failed handshake is a failed call.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";

/** PEM material for a TLS client channel. */
export interface ChannelTlsMaterial {
  /** Root certificate(s) the server certificate must chain to (PEM). */
  ca: string;
  /** Client certificate chain for mTLS (PEM); requires `key`. */
  cert?: string;
  /** Client private key for mTLS (PEM); requires `cert`. */
  key?: string;
  /**
   * Name the server certificate must be valid for, instead of the target's
   * host; also sent as SNI and `:authority`. @default the target host
   */
  serverName?: string;
}

/** What a channel needs for its transport security. */
export interface ChannelSecurity {
  /** grpc-js channel credentials. */
  credentials: grpc.ChannelCredentials;
  /** Channel options that go with them (TLS name handling). */
  options: grpc.ChannelOptions;
}

/**
 * SNI sent when the certificate is checked against an IP address. Deno's
 * `node:tls` refuses an IP address as `servername` (Node.js only warns), and
 * grpc-js always sets `servername` to the target host; RFC 6066 forbids IP
 * literals in SNI anyway, so standard clients send none for IP targets and
 * no server can route on it. A reserved `.invalid` name is the closest thing
 * to "no SNI" grpc-js allows.
 */
export const IP_TARGET_SNI = "ip-address.invalid";

/**
 * Builds channel credentials: TLS verified against `tls.ca` (with a client
 * certificate when given), or plaintext when `tls` is `null`.
 *
 * The server certificate must chain to `tls.ca` and be valid for
 * `tls.serverName`, or else for the target's host (DNS name or IP address).
 *
 * @param target the `host:port` being dialled
 * @param tls the TLS material, or `null` for an explicit plaintext channel
 * @returns credentials and the channel options they need
 * @throws {TypeError} if only one of `cert` / `key` is given, or PEM is malformed
 *
 * @example
 * ```ts
 * const { credentials, options } = channelSecurity("127.0.0.1:50051", { ca });
 * const client = new helloworld.Greeter("127.0.0.1:50051", credentials, options);
 * ```
 */
export function channelSecurity(target: string, tls: ChannelTlsMaterial | null): ChannelSecurity {
  if (tls === null) return { credentials: grpc.credentials.createInsecure(), options: {} };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError("client TLS: cert and key must be given together");
  }
  if (!tls.ca.includes("-----BEGIN ")) throw new TypeError("client TLS: ca is not PEM");
  const name = tls.serverName ?? hostOf(target);
  const ip = isIP(name) !== 0;
  const credentials = grpc.credentials.createSsl(
    Buffer.from(tls.ca),
    tls.key === undefined ? null : Buffer.from(tls.key),
    tls.cert === undefined ? null : Buffer.from(tls.cert),
    // grpc-js passes the override name to this check; verify the real name instead.
    ip ? { checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert) } : {},
  );
  const options: grpc.ChannelOptions = {};
  if (ip) options["grpc.ssl_target_name_override"] = IP_TARGET_SNI;
  else if (tls.serverName !== undefined) options["grpc.ssl_target_name_override"] = name;
  if (tls.serverName !== undefined) options["grpc.default_authority"] = tls.serverName;
  return { credentials, options };
}

/** The host part of `host:port` / `[v6]:port`, without brackets. */
function hostOf(target: string): string {
  const match = /^\[([^\]]+)\](?::\d+)?$|^([^:]+)(?::\d+)?$/.exec(target);
  return match?.[1] ?? match?.[2] ?? target;
}
