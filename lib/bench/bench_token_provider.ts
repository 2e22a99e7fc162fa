/**
 * The identity every bench client and bench server share: the issuer and
 * audience the servers require and a token provider minting them.
 *
 * @module
 */
import {
  createTokenProvider,
  mintingTokenSource,
  type TokenProvider,
} from "../client/token_provider.ts";

/** Issuer the bench servers require and the bench clients mint. */
export const BENCH_ISSUER = "greeter-bench";
/** Audience the bench servers require and the bench clients mint. */
export const BENCH_AUDIENCE = "helloworld.Greeter";

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
