/**
 * The identity every bench client and bench server share: the issuer and
 * audience the servers require and a token provider minting them.
 *
 * @module
 */
import * as jose from "jose";
import {
  createTokenProvider,
  mintingTokenSource,
  type TokenProvider,
} from "../client/token_provider.ts";

/** Issuer the bench servers require and the bench clients mint. */
export const BENCH_ISSUER = "greeter-bench";
/** Audience the bench servers require and the bench clients mint. */
export const BENCH_AUDIENCE = "helloworld.Greeter";

/** A key pair for bench tokens signed with a public-key algorithm. */
export interface BenchKeyPair {
  /** The algorithm, e.g. `"ES256"`. */
  alg: string;
  /** The private key, to sign with. */
  privateKey: jose.CryptoKey;
  /** The public key as a JWKS (text), for the server. */
  publicJwks: string;
}

/** Generates a key pair for {@linkcode benchKeyTokenProvider}. */
export async function benchKeyPair(alg: string): Promise<BenchKeyPair> {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...await jose.exportJWK(publicKey), kid: `bench-${alg}`, alg };
  return { alg, privateKey, publicJwks: JSON.stringify({ keys: [jwk] }) };
}

/** A token provider signing bench tokens with `pair` (as an identity provider would). */
export function benchKeyTokenProvider(pair: BenchKeyPair): TokenProvider {
  return createTokenProvider({
    source: () => {
      const iat = Math.floor(Date.now() / 1000);
      return new jose.SignJWT({ scope: "greet" })
        .setProtectedHeader({ alg: pair.alg, kid: `bench-${pair.alg}`, typ: "at+jwt" })
        .setIssuer(BENCH_ISSUER).setAudience(BENCH_AUDIENCE).setSubject("bench")
        .setIssuedAt(iat).setExpirationTime(iat + 3600)
        .sign(pair.privateKey);
    },
  });
}

/** A token provider minting bench tokens from `secret`, as every bench client uses. */
export function benchTokenProvider(secret: string): TokenProvider {
  return createTokenProvider({
    source: mintingTokenSource({
      secret: new TextEncoder().encode(secret),
      issuer: BENCH_ISSUER,
      audience: BENCH_AUDIENCE,
      subject: "bench",
    }),
  });
}
