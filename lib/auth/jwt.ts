/**
 * Signing and verification of the Greeter's bearer tokens (HMAC JWTs), with
 * no gRPC imports: the auth interceptor and the client's token provider both
 * build on this module.
 *
 * @module
 */
import * as jose from "jose";

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
  | "claims";

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
  /** Lifetime in seconds, from `issuedAt`. @default 3600 */
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
    .setExpirationTime(iat + (options.ttlSeconds ?? 3600));
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return await jwt.sign(options.secret);
}

/** Options for {@linkcode createTokenVerifier}. */
export interface TokenVerifierOptions {
  /** Shared HMAC secret, at least {@linkcode MIN_SECRET_BYTES} bytes. */
  secret: Uint8Array;
  /** Required `iss`. */
  issuer: string;
  /** Required member of `aud`. */
  audience: string;
  /** Accepted algorithms; `none` cannot be listed. @default ["HS256"] */
  algorithms?: readonly HmacAlgorithm[];
  /** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds. @default 5 */
  clockToleranceSeconds?: number;
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
   */
  verify(token: string): Promise<GreeterClaims>;
  /** Number of tokens currently cached. */
  readonly cacheEntries: number;
}

/**
 * Builds a verifier that checks signature, algorithm allow-list, `exp`, `iat`,
 * `nbf` (when present), `iss`, `aud` and `sub`.
 *
 * Verified tokens are cached, keyed on the whole compact token (signature
 * included, so a forged token can never hit a cached entry), until their `exp`;
 * the cache holds at most `cacheSize` entries and drops the least recently used.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  assertSecret(options.secret);
  const algorithms = [...(options.algorithms ?? ["HS256"])];
  for (const alg of algorithms) {
    if (!/^HS(256|384|512)$/.test(alg)) throw new Error(`unsupported JWT algorithm: ${alg}`);
  }
  const tolerance = options.clockToleranceSeconds ?? 5;
  const cacheSize = options.cacheSize ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, GreeterClaims>();
  const key = options.secret;

  async function verifyUncached(token: string): Promise<GreeterClaims> {
    let payload: jose.JWTPayload;
    try {
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
    if (typeof payload.sub !== "string" || payload.sub.trim() === "") {
      throw new TokenError("claims");
    }
    if ((payload.iat as number) > now() / 1000 + tolerance) throw new TokenError("not-yet-valid");
    return Object.freeze(payload) as unknown as GreeterClaims;
  }

  return {
    get cacheEntries() {
      return cache.size;
    },
    async verify(token: string): Promise<GreeterClaims> {
      const hit = cache.get(token);
      if (hit !== undefined) {
        cache.delete(token);
        if (hit.exp + tolerance > now() / 1000) {
          cache.set(token, hit); // refresh recency
          return hit;
        }
        throw new TokenError("expired");
      }
      const claims = await verifyUncached(token);
      if (cacheSize > 0) {
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
        cache.set(token, claims);
      }
      return claims;
    },
  };
}

/**
 * Extracts the token from an `authorization` header value.
 *
 * @returns the token, or throws {@linkcode TokenError} ("missing" / "malformed")
 */
export function parseBearer(header: string | undefined): string {
  if (header === undefined || header.trim() === "") throw new TokenError("missing");
  const match = /^Bearer[ ]+([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)\s*$/i.exec(header);
  if (match === null) throw new TokenError("malformed");
  return match[1];
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
