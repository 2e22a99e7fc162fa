/**
 * Wiring from a loaded {@linkcode ClientConfig} to the client's parts: the
 * token provider and the options for {@linkcode createGreeterClient}. The one
 * place that decides whether a token may be sent.
 *
 * @module
 */
import type { ClientConfig } from "./config.ts";
import type { ChannelTlsMaterial } from "./credentials.ts";
import type { GreeterClientOptions } from "./greeter_client.ts";
import { createClientCredentialsProvider } from "./oauth_token_provider.ts";
import {
  createTokenProvider,
  fileTokenSource,
  mintingTokenSource,
  staticTokenSource,
  type TokenProvider,
} from "./token_provider.ts";

/** A token provider, or why there is none. */
export type TokenProviderChoice =
  | { readonly provider: TokenProvider; readonly reason?: undefined }
  | { readonly provider: null; readonly reason: string };

/** Options for {@linkcode tokenProviderFromConfig}. */
export interface FromConfigOptions {
  /** Clock, milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * Picks the token provider the config asks for, or none (with the reason)
 * when there is no token source or the channel is plaintext without the
 * explicit opt-in.
 *
 * @param config the loaded client config
 * @param options clock
 * @returns the provider, or `null` and a one-line reason
 */
export function tokenProviderFromConfig(
  config: ClientConfig,
  options: FromConfigOptions = {},
): TokenProviderChoice {
  if (config.tls === null && !config.allowTokenOverPlaintext) {
    return {
      provider: null,
      reason: "plaintext channel: no token is sent without --allow-token-over-plaintext",
    };
  }
  const now = options.now ?? Date.now;
  const source = config.token;
  switch (source.kind) {
    case "none":
      return { provider: null, reason: source.reason };
    case "static":
      return {
        provider: createTokenProvider({
          source: staticTokenSource(source.token),
          refreshable: false,
          now,
        }),
      };
    case "file":
      return { provider: createTokenProvider({ source: fileTokenSource(source.path), now }) };
    case "oauth":
      // Its HTTP client (only made for a custom CA) lives as long as the process.
      return { provider: createClientCredentialsProvider({ ...source.oauth, now }) };
    case "mint":
      return {
        provider: createTokenProvider({
          source: mintingTokenSource({
            secret: config.secret!,
            issuer: config.issuer,
            audience: config.audience,
            subject: config.subject,
            ttlSeconds: config.ttlSeconds,
            now,
          }),
          now,
        }),
      };
  }
}

/**
 * The TLS material of the config in the shape the channel wants.
 *
 * @param config the loaded client config
 */
export function channelTlsFromConfig(config: ClientConfig): ChannelTlsMaterial | null {
  if (config.tls === null) return null;
  return {
    ca: config.tls.ca,
    ...(config.tls.cert === undefined ? {} : { cert: config.tls.cert, key: config.tls.key }),
    ...(config.tls.serverName === undefined ? {} : { serverName: config.tls.serverName }),
  };
}

/**
 * Options for {@linkcode createGreeterClient} from the config.
 *
 * @param config the loaded client config
 * @param tokenProvider the provider chosen by {@linkcode tokenProviderFromConfig}
 */
export function clientOptionsFromConfig(
  config: ClientConfig,
  tokenProvider: TokenProvider | null,
): GreeterClientOptions {
  return {
    target: config.target,
    tls: channelTlsFromConfig(config),
    tokenProvider,
    allowTokenOverPlaintext: config.allowTokenOverPlaintext,
    deadlineMs: config.deadlineMs,
  };
}
