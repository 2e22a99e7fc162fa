/**
 * Bearer tokens for outgoing calls: where they come from (minted from the
 * shared secret, given literally, or read from a file) and when to fetch a
 * fresh one (before expiry, and once after the server said `UNAUTHENTICATED`).
 *
 * The provider never touches gRPC; {@linkcode ./greeter_client.ts} attaches
 * its token to each call.
 *
 * @module
 */
import * as jose from "jose";
import { signToken } from "../auth/jwt.ts";
import { DEFAULT_TOKEN_TTL_SECONDS } from "../shared/defaults.ts";

/**
 * Produces a token; called on first use and whenever a refresh is due. A
 * source that knows the lifetime from elsewhere (an OAuth2 `expires_in`)
 * returns it with the token; otherwise the token's own `exp` is read.
 */
export type TokenSource = () => Promise<string | IssuedToken>;

/** A token with the lifetime its issuer announced. */
export interface IssuedToken {
  /** The compact token (or an opaque one). */
  readonly token: string;
  /** Seconds from issue until it expires, when the issuer said so. */
  readonly expiresInSeconds?: number;
}

/** Options for {@linkcode createTokenProvider}. */
export interface TokenProviderOptions {
  /** Where tokens come from; see {@linkcode mintingTokenSource} and friends. */
  source: TokenSource;
  /**
   * Whether asking `source` again can give a different token (false for a
   * literal token: a retry with the same token is pointless).
   * @default true
   */
  refreshable?: boolean;
  /** Refresh when less than this fraction of the token's lifetime is left. @default 0.2 */
  refreshRatio?: number;
  /** Refresh when less than this many seconds are left. @default 30 */
  refreshMarginSeconds?: number;
  /** Clock, milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** Hands out the current token, refreshing it as needed. */
export interface TokenProvider {
  /** Resolves to a token that is not (nearly) expired, refreshing first if due. */
  getToken(): Promise<string>;
  /**
   * Forgets the current token so the next {@linkcode getToken} fetches a new
   * one; call after the server rejected it.
   */
  invalidate(): void;
  /** Whether {@linkcode invalidate} can lead to a different token. */
  readonly refreshable: boolean;
  /** How many tokens have been fetched from the source so far. */
  readonly fetches: number;
}

interface Held {
  token: string;
  /** Milliseconds since the epoch when the token should be replaced; Infinity for none. */
  refreshAt: number;
}

/**
 * Creates a token provider. Concurrent callers share one in-flight fetch.
 *
 * A token's lifetime is read from its own `iat`/`exp` claims (not verified
 * here: the client cannot and need not verify its own token). A token without
 * `exp` is kept until invalidated.
 *
 * @example
 * ```ts
 * const provider = createTokenProvider({
 *   source: mintingTokenSource({ secret, issuer: "greeter", audience: "helloworld.Greeter", subject: "me" }),
 * });
 * const token = await provider.getToken();
 * ```
 */
export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const now = options.now ?? Date.now;
  const ratio = options.refreshRatio ?? 0.2;
  const marginMs = (options.refreshMarginSeconds ?? 30) * 1000;
  if (!(ratio >= 0 && ratio < 1)) {
    throw new TypeError(`refreshRatio must be in [0, 1), got ${ratio}`);
  }
  if (!(marginMs >= 0)) throw new TypeError("refreshMarginSeconds must be >= 0");
  const refreshable = options.refreshable ?? true;
  let held: Held | undefined;
  let inFlight: Promise<string> | undefined;
  let fetches = 0;

  const fetch = (): Promise<string> => {
    inFlight ??= (async () => {
      try {
        fetches++;
        const fetchedAt = now();
        const issued = await options.source();
        const token = typeof issued === "string" ? issued : issued.token;
        let refreshAt = refreshTime(token, fetchedAt, ratio, marginMs);
        if (typeof issued !== "string" && issued.expiresInSeconds !== undefined) {
          const lifetime = issued.expiresInSeconds * 1000;
          refreshAt = Math.min(
            refreshAt,
            fetchedAt + lifetime - Math.max(lifetime * ratio, marginMs),
          );
        }
        held = { token, refreshAt };
        return token;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return {
    refreshable,
    get fetches() {
      return fetches;
    },
    getToken(): Promise<string> {
      if (held !== undefined && (now() < held.refreshAt || !refreshable)) {
        return Promise.resolve(held.token);
      }
      return fetch();
    },
    invalidate(): void {
      if (refreshable) held = undefined;
    },
  };
}

/** When to replace `token`: when less than `ratio` of its lifetime or `marginMs` is left. */
function refreshTime(token: string, fetchedAt: number, ratio: number, marginMs: number): number {
  let claims: jose.JWTPayload;
  try {
    claims = jose.decodeJwt(token);
  } catch {
    return Infinity; // opaque token: keep it until the server rejects it
  }
  if (typeof claims.exp !== "number") return Infinity;
  const expMs = claims.exp * 1000;
  const startMs = typeof claims.iat === "number" ? claims.iat * 1000 : fetchedAt;
  const lifetime = Math.max(0, expMs - startMs);
  return expMs - Math.max(lifetime * ratio, marginMs);
}

/** Options for {@linkcode mintingTokenSource}. */
export interface MintingTokenSourceOptions {
  /** Shared HMAC secret (at least 32 bytes). */
  secret: Uint8Array;
  /** `iss` claim. */
  issuer: string;
  /** `aud` claim. */
  audience: string;
  /** `sub` claim. @default "greeter-client" */
  subject?: string;
  /** Lifetime of each token, in seconds. @default DEFAULT_TOKEN_TTL_SECONDS (3600) */
  ttlSeconds?: number;
  /** Clock, milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * A source that mints a new HS256 token on each call.
 *
 * @param options secret, claims and lifetime
 * @returns a {@linkcode TokenSource}
 *
 * @example
 * ```ts
 * const source = mintingTokenSource({ secret, issuer: "greeter", audience: "helloworld.Greeter", subject: "alice" });
 * const provider = createTokenProvider({ source });
 * ```
 */
export function mintingTokenSource(options: MintingTokenSourceOptions): TokenSource {
  return () =>
    signToken({
      secret: options.secret,
      issuer: options.issuer,
      audience: options.audience,
      subject: options.subject ?? "greeter-client",
      ttlSeconds: options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
}

/**
 * A source that always gives the same token (`--token`). Pair it with
 * `refreshable: false`.
 *
 * @param token the compact JWT
 * @returns a {@linkcode TokenSource}
 *
 * @example
 * ```ts
 * const provider = createTokenProvider({ source: staticTokenSource(token), refreshable: false });
 * ```
 */
export function staticTokenSource(token: string): TokenSource {
  return () => Promise.resolve(token);
}

/**
 * A source that reads the token from a file each time a refresh is due, so an
 * external process can rotate it.
 *
 * @param path the token file
 * @param readTextFile file reader @default Deno.readTextFile
 * @returns a {@linkcode TokenSource}
 *
 * @example
 * ```ts
 * const provider = createTokenProvider({ source: fileTokenSource("/run/secrets/greeter-token") });
 * ```
 */
export function fileTokenSource(
  path: string,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): TokenSource {
  return async () => (await readTextFile(path)).trim();
}
