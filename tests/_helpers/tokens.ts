/**
 * Tokens for tests: the issuer, audience and subject the test servers expect,
 * a minter for valid tokens and every broken kind, `authorization` metadata to
 * carry them, and tokens for `main.ts` run as a user runs it.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as jose from "jose";
import { Buffer } from "node:buffer";
import { signToken, TokenError, type TokenRejection } from "../../lib/auth/jwt.ts";
import {
  createTokenProvider,
  mintingTokenSource,
  type TokenProvider,
} from "../../lib/client/token_provider.ts";

/** Issuer the test servers require. */
export const TEST_ISSUER = "greeter-test";
/** Audience the test servers require. */
export const TEST_AUDIENCE = "helloworld.Greeter";
/** Subject of the tokens the helpers mint. */
export const TEST_SUBJECT = "test-user";

/** A fresh random 32-byte HMAC secret. */
export function randomSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** Kinds of token {@linkcode mintToken} can make. */
export type TokenKind =
  | "valid"
  | "expired"
  | "wrong-issuer"
  | "wrong-audience"
  | "not-yet-valid"
  | "bad-signature"
  | "alg-none"
  | "missing-sub";

/** Options for {@linkcode mintToken}. */
export interface MintOptions {
  /** Secret the server verifies with (a different one is used for `bad-signature`). */
  secret: Uint8Array;
  /** `sub`. @default TEST_SUBJECT */
  subject?: string;
  /** Lifetime of a `valid` token, in seconds. @default 300 */
  ttlSeconds?: number;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Mints a token of the given kind for a server verifying with `options.secret`. */
export async function mintToken(kind: TokenKind, options: MintOptions): Promise<string> {
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const subject = options.subject ?? TEST_SUBJECT;
  const base = {
    secret: options.secret,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    subject,
    now: options.now,
  };
  switch (kind) {
    case "valid":
      return await signToken({ ...base, ttlSeconds: options.ttlSeconds ?? 300 });
    case "expired":
      // Well past any clock tolerance.
      return await signToken({ ...base, issuedAt: now - 600, ttlSeconds: 300 });
    case "wrong-issuer":
      return await signToken({ ...base, issuer: "someone-else" });
    case "wrong-audience":
      return await signToken({ ...base, audience: "other.Service" });
    case "not-yet-valid":
      return await signToken({ ...base, notBefore: now + 300 });
    case "bad-signature":
      return await signToken({ ...base, secret: randomSecret() });
    case "alg-none":
      return `${base64url({ alg: "none", typ: "JWT" })}.${
        base64url({
          sub: subject,
          iss: TEST_ISSUER,
          aud: TEST_AUDIENCE,
          iat: now,
          exp: now + 300,
        })
      }.`;
    case "missing-sub":
      // signToken always sets `sub`, so this one is signed with jose directly.
      return await new jose.SignJWT({})
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(options.secret);
  }
}

/** Request metadata carrying `authorization` exactly as given (none when undefined). */
export function authMetadata(authorization: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set("authorization", authorization);
  return metadata;
}

/** Request metadata carrying `Bearer <token>`. */
export function bearer(token: string): grpc.Metadata {
  return authMetadata(`Bearer ${token}`);
}

/** The issuer `main.ts` requires unless told otherwise (its documented default). */
export const MAIN_ISSUER = "greeter";
/** The audience `main.ts` requires unless told otherwise (its documented default). */
export const MAIN_AUDIENCE = "helloworld.Greeter";

/** The bytes of a secret given as text, as `GREETER_JWT_SECRET` carries it. */
function secretBytes(secret: string | Uint8Array): Uint8Array {
  return typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
}

/** A token that `main.ts` with its default issuer and audience accepts. */
export function signMainToken(secret: string | Uint8Array, subject: string): Promise<string> {
  return signToken({
    secret: secretBytes(secret),
    issuer: MAIN_ISSUER,
    audience: MAIN_AUDIENCE,
    subject,
  });
}

/** A token provider minting tokens that `main.ts` with its default issuer and audience accepts. */
export function mainTokenProvider(secret: string, subject?: string): TokenProvider {
  return createTokenProvider({
    source: mintingTokenSource({
      secret: secretBytes(secret),
      issuer: MAIN_ISSUER,
      audience: MAIN_AUDIENCE,
      subject,
    }),
  });
}

/** Why the verifier rejected a token; fails the test when it accepted it or threw anything else. */
export async function rejection(verifying: Promise<unknown>): Promise<TokenRejection> {
  try {
    await verifying;
  } catch (error) {
    assert.ok(error instanceof TokenError, `not a TokenError: ${error}`);
    return error.reason;
  }
  assert.fail("the token was accepted");
}
