/**
 * Signing and verification of the Greeter's bearer tokens, with no gRPC
 * imports: the auth interceptor and the client's token provider both build on
 * this module. Tokens are either HMAC JWTs signed with a shared secret
 * (development and basic set-ups) or asymmetric JWTs checked against public
 * keys ({@linkcode ./jwks.ts}); the two families are never mixed, so a token
 * "signed" with HS256 using a public key as the secret is refused.
 *
 * @module
 */
import * as jose from "jose";
import { assertAsymmetricAlgorithms, type AsymmetricAlgorithm, KeySourceError } from "./jwks.ts";
import type { KeySource } from "./jwks.ts";
import { LruCache } from "./_lru.ts";

/** Longest token lifetime (`exp - iat`) accepted by default, in seconds: one day. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 86_400;
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, DEFAULT_TOKEN_TTL_SECONDS } from "../shared/defaults.ts";

/** Shortest accepted HMAC secret, in bytes (RFC 7518 §3.2 for HS256). */
export const MIN_SECRET_BYTES = 32;

/** HMAC algorithms this project can sign and verify; `none` is never accepted. */
export type HmacAlgorithm = "HS256" | "HS384" | "HS512";

/** The claims every accepted token carries, verified and typed. */
export interface GreeterClaims {
  /** Subject: who the caller is. */
  readonly sub: string;
  /** Issuer, equal to the configured issuer. */
  readonly iss: string;
  /** Audience, containing the configured audience. */
  readonly aud: string | readonly string[];
  /** Issued-at, seconds since the epoch. */
  readonly iat: number;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Not-before, seconds since the epoch, when the token has one. */
  readonly nbf?: number;
  /** Granted scopes, space-separated (RFC 8693 / RFC 9068), when present. */
  readonly scope?: string;
  /** Granted scopes as some providers name them (`scp`: array or string), when present. */
  readonly scp?: string | readonly string[];
  /** Any other claim the issuer added, unverified beyond the signature. */
  readonly [claim: string]: unknown;
}

/** Why a token was refused; each maps to a short, non-leaking message. */
export type TokenRejection =
  | "missing"
  | "malformed"
  | "algorithm"
  | "signature"
  | "expired"
  | "not-yet-valid"
  | "issuer"
  | "audience"
  | "claims"
  | "lifetime"
  | "critical"
  | "unknown-key"
  | "keys-unavailable";

const REJECTION_MESSAGES: Record<TokenRejection, string> = {
  "missing": "missing bearer token",
  "malformed": "malformed bearer token",
  "algorithm": "token algorithm not allowed",
  "signature": "invalid token signature",
  "expired": "token expired",
  "not-yet-valid": "token not yet valid",
  "issuer": "token issuer not accepted",
  "audience": "token audience not accepted",
  "claims": "token claims incomplete",
  "lifetime": "token lifetime too long",
  "critical": "token has a critical header (crit) this server does not support",
  "unknown-key": "token signing key unknown",
  "keys-unavailable": "token signing keys unavailable",
};

/** A refused token; `message` is safe to send to the caller. */
export class TokenError extends Error {
  /** The machine-readable reason. */
  readonly reason: TokenRejection;
  /**
   * Builds the error for one rejection reason.
   * @param reason why the token was refused
   */
  constructor(reason: TokenRejection) {
    super(REJECTION_MESSAGES[reason]);
    this.name = "TokenError";
    this.reason = reason;
  }
}

/** Options for {@linkcode signToken}. */
export interface SignTokenOptions {
  /** Shared HMAC secret, at least {@linkcode MIN_SECRET_BYTES} bytes. */
  secret: Uint8Array;
  /** `iss` claim. */
  issuer: string;
  /** `aud` claim. */
  audience: string;
  /** `sub` claim: who the token speaks for. */
  subject: string;
  /** Lifetime in seconds, from `issuedAt`. @default DEFAULT_TOKEN_TTL_SECONDS (3600) */
  ttlSeconds?: number;
  /** `iat`, seconds since the epoch. @default now */
  issuedAt?: number;
  /** `nbf`, seconds since the epoch; omitted when not given. */
  notBefore?: number;
  /** Signing algorithm. @default "HS256" */
  algorithm?: HmacAlgorithm;
  /** Clock, in milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * Mints a signed JWT carrying `sub`, `iat`, `exp`, `iss` and `aud`.
 *
 * @example
 * ```ts
 * const token = await signToken({ secret, issuer: "greeter", audience: "helloworld.Greeter", subject: "alice" });
 * ```
 */
export async function signToken(options: SignTokenOptions): Promise<string> {
  assertSecret(options.secret);
  const now = options.now ?? Date.now;
  const iat = options.issuedAt ?? Math.floor(now() / 1000);
  const jwt = new jose.SignJWT({})
    .setProtectedHeader({ alg: options.algorithm ?? "HS256", typ: "JWT" })
    .setSubject(options.subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS));
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return await jwt.sign(options.secret);
}

/** Options for {@linkcode createTokenVerifier}; give exactly one of `secret` and `keys`. */
export interface TokenVerifierOptions {
  /** Shared HMAC secret, at least {@linkcode MIN_SECRET_BYTES} bytes. */
  secret?: Uint8Array;
  /** Public keys (local file, JWKS URL or OIDC issuer); see {@linkcode ./jwks.ts}. */
  keys?: KeySource;
  /** Required `iss`. */
  issuer: string;
  /** Required member of `aud`. */
  audience: string;
  /**
   * Accepted algorithms; `none` cannot be listed, and HMAC and asymmetric
   * algorithms never mix. @default ["HS256"] with a secret, ASYMMETRIC_ALGORITHMS with keys
   */
  algorithms?: readonly (HmacAlgorithm | AsymmetricAlgorithm)[];
  /** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds.
   * @default DEFAULT_CLOCK_TOLERANCE_SECONDS (5)
   */
  clockToleranceSeconds?: number;
  /** Longest accepted `exp - iat`, in seconds. @default DEFAULT_MAX_LIFETIME_SECONDS */
  maxLifetimeSeconds?: number;
  /** Verified tokens remembered until they expire; 0 turns the cache off. @default 10000 */
  cacheSize?: number;
  /** Clock, in milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** Verifies bearer tokens; see {@linkcode createTokenVerifier}. */
export interface TokenVerifier {
  /**
   * Resolves to the verified claims, or rejects with a {@linkcode TokenError}.
   * @param token the compact JWS, without the `Bearer ` prefix
   * @param signal ends a wait for fresh signing keys early (the call's deadline)
   */
  verify(token: string, signal?: AbortSignal): Promise<GreeterClaims>;
  /**
   * The claims of `token` when it was verified before and its cache entry
   * still holds (not expired, same signing keys), at once; otherwise
   * `undefined`, and {@linkcode verify} decides. Lets a caller skip a promise,
   * a timer and an abort signal per call on the common path.
   * @param token the compact JWS, without the `Bearer ` prefix
   */
  cached?(token: string): GreeterClaims | undefined;
  /** Number of tokens currently cached. */
  readonly cacheEntries: number;
}

/**
 * Builds a verifier that checks the header (no `crit`, an allowed algorithm of
 * the key's family), the signature, `exp`, `iat` and `nbf` (integers;
 * `nbf` when present), the lifetime, `iss`, `aud` and `sub`.
 *
 * Verified tokens are cached, keyed on the whole compact token (signature
 * included, so a forged token can never hit a cached entry), until their `exp`;
 * the cache holds at most `cacheSize` entries and drops the least recently used.
 * With public keys, an entry is trusted only while the key set is unchanged:
 * after a rotation each cached token is verified again, once, so a token whose
 * key was removed stops working.
 *
 * @param options a secret or public keys, required issuer and audience, algorithms, tolerance, cache size
 * @returns the verifier
 * @throws {Error} on a secret shorter than {@linkcode MIN_SECRET_BYTES}, both or neither of secret and keys, or an algorithm the key cannot use
 *
 * @example
 * ```ts
 * const verifier = createTokenVerifier({ secret, issuer: "greeter", audience: "helloworld.Greeter" });
 * const claims = await verifier.verify(token); // or throws TokenError
 * console.log(claims.sub);
 * ```
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if ((options.secret === undefined) === (options.keys === undefined)) {
    throw new Error("give the token verifier either a secret or public keys, not both");
  }
  const keySource = options.keys;
  let algorithms: string[];
  if (options.secret !== undefined) {
    assertSecret(options.secret);
    algorithms = [...(options.algorithms ?? ["HS256"])];
    for (const alg of algorithms) {
      if (!/^HS(256|384|512)$/.test(alg)) {
        throw new Error(`JWT algorithm ${alg} cannot be used with a shared secret`);
      }
    }
  } else {
    algorithms = [...(options.algorithms ?? ["RS256", "PS256", "ES256", "EdDSA"])];
    assertAsymmetricAlgorithms(algorithms);
    // jose names Ed25519 signatures either way.
    if (algorithms.includes("EdDSA")) algorithms.push("Ed25519");
  }
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  if (!(Number.isSafeInteger(maxLifetime) && maxLifetime > 0)) {
    throw new Error(`maxLifetimeSeconds must be a positive integer, got ${maxLifetime}`);
  }
  const cacheSize = options.cacheSize ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new LruCache<{ claims: GreeterClaims; version: number }>(cacheSize);
  const secret = options.secret;

  async function verifyUncached(token: string, signal?: AbortSignal): Promise<GreeterClaims> {
    let header: jose.ProtectedHeaderParameters;
    try {
      header = jose.decodeProtectedHeader(token);
    } catch {
      throw new TokenError("malformed");
    }
    if ("crit" in header) throw new TokenError("critical");
    if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) {
      throw new TokenError("algorithm");
    }
    let payload: jose.JWTPayload;
    try {
      const key = secret ?? await keySource!.getKey(header, signal);
      ({ payload } = await jose.jwtVerify(token, key, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: tolerance,
        requiredClaims: ["sub", "iat", "exp", "iss", "aud"],
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw new TokenError(classify(error));
    }
    checkClaims(payload, now() / 1000, tolerance, maxLifetime);
    return Object.freeze(payload) as unknown as GreeterClaims;
  }

  return {
    get cacheEntries() {
      return cache.size;
    },
    cached(token: string): GreeterClaims | undefined {
      const hit = cache.peek(token);
      if (
        hit === undefined || hit.version !== (keySource?.version ?? 0) ||
        hit.claims.exp + tolerance <= now() / 1000
      ) {
        return undefined;
      }
      cache.get(token); // refresh recency
      return hit.claims;
    },
    async verify(token: string, signal?: AbortSignal): Promise<GreeterClaims> {
      const hit = cache.get(token); // refreshes recency
      const version = keySource?.version ?? 0;
      if (hit !== undefined) {
        if (hit.claims.exp + tolerance <= now() / 1000) {
          cache.delete(token);
          throw new TokenError("expired");
        }
        if (hit.version === version) return hit.claims;
        cache.delete(token);
      }
      const claims = await verifyUncached(token, signal);
      cache.set(token, { claims, version: keySource?.version ?? 0 });
      return claims;
    },
  };
}

/**
 * The checks jose leaves to us: times are integers (`exp: 1e400` would parse
 * to Infinity and never expire), `iat` is not in the future, the lifetime is
 * bounded, and `sub` names someone.
 */
function checkClaims(
  payload: jose.JWTPayload,
  nowSeconds: number,
  tolerance: number,
  maxLifetime: number,
): void {
  for (const claim of ["exp", "iat", "nbf"] as const) {
    const value = payload[claim];
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
      throw new TokenError("claims");
    }
  }
  if (typeof payload.sub !== "string" || payload.sub.trim() === "") {
    throw new TokenError("claims");
  }
  const iat = payload.iat as number;
  const exp = payload.exp as number;
  if (iat > nowSeconds + tolerance) throw new TokenError("not-yet-valid");
  if (exp <= iat) throw new TokenError("claims");
  if (exp - iat > maxLifetime) throw new TokenError("lifetime");
}

/**
 * Extracts the token from an `authorization` header value.
 *
 * @example
 * ```ts
 * parseBearer("Bearer eyJ...x.y"); // "eyJ...x.y"
 * ```
 *
 * @returns the token, or throws {@linkcode TokenError} ("missing" / "malformed")
 */
export function parseBearer(header: string | undefined): string {
  if (header === undefined || header.trim() === "") throw new TokenError("missing");
  const match = /^Bearer[ ]+([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)\s*$/i.exec(header);
  if (match === null) throw new TokenError("malformed");
  return match[1];
}

/**
 * {@linkcode parseBearer} remembering the last header it read. A client sends
 * the same `authorization` header on call after call, so most calls skip the
 * pattern match and get back the same token string, whose hash the verifier's
 * cache has already computed. A header that fails is not remembered.
 *
 * @example
 * ```ts
 * const bearer = new BearerParser();
 * bearer.parse("Bearer eyJ...x.y"); // "eyJ...x.y", matched
 * bearer.parse("Bearer eyJ...x.y"); // the same string, remembered
 * ```
 */
export class BearerParser {
  #header: string | undefined = undefined;
  #token = "";

  /**
   * @param header the `authorization` value, if any
   * @returns the token, or throws {@linkcode TokenError} as {@linkcode parseBearer} does
   */
  parse(header: string | undefined): string {
    if (header !== undefined && header === this.#header) return this.#token;
    const token = parseBearer(header);
    this.#header = header;
    this.#token = token;
    return token;
  }
}

/** Throws unless `secret` is long enough to be a real HMAC key. */
export function assertSecret(secret: Uint8Array): void {
  if (secret.byteLength < MIN_SECRET_BYTES) {
    throw new Error(
      `JWT secret is ${secret.byteLength} bytes; at least ${MIN_SECRET_BYTES} are required`,
    );
  }
}

function classify(error: unknown): TokenRejection {
  if (error instanceof TokenError) return error.reason;
  if (error instanceof KeySourceError) {
    return error.reason === "unknown-key" ? "unknown-key" : "keys-unavailable";
  }
  if (error instanceof jose.errors.JWTExpired) return "expired";
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "iss":
        return "issuer";
      case "aud":
        return "audience";
      case "nbf":
      case "iat":
        return error.reason === "check_failed" ? "not-yet-valid" : "claims";
      default:
        return "claims";
    }
  }
  if (error instanceof jose.errors.JOSEAlgNotAllowed) return "algorithm";
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) return "signature";
  if (error instanceof jose.errors.JOSENotSupported) return "algorithm";
  return "malformed";
}
