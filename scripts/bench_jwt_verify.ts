/**
 * What verifying one bearer token costs, per key type: a repeat token (a hit
 * in the verified-token cache) against a first-seen token (signature and
 * claims checked; with public keys, the key comes from the already-fetched
 * JWKS, so no network). HS256 uses the shared secret; the others use a JWKS
 * source exactly as the server does with `GREETER_JWT_JWKS_URL` or
 * `GREETER_OIDC_ISSUER`, its fetch answered in memory.
 *
 *   deno task bench:jwt
 *
 * @module
 */
import * as jose from "jose";
import { type AsymmetricAlgorithm, jwksUrlKeySource, type KeySource } from "../lib/auth/jwks.ts";
import { createTokenVerifier, type TokenVerifier } from "../lib/auth/jwt.ts";

const ISSUER = "https://id.example.com";
const AUDIENCE = "helloworld.Greeter";

interface Case {
  alg: "HS256" | AsymmetricAlgorithm;
  token: string;
  repeat: TokenVerifier;
  firstSeen: TokenVerifier;
  keys?: KeySource;
}

async function makeCase(alg: Case["alg"]): Promise<Case> {
  const iat = Math.floor(Date.now() / 1000);
  const claims = new jose.SignJWT({ sub: "bench", scope: "greet" }).setIssuer(ISSUER)
    .setAudience(AUDIENCE).setIssuedAt(iat).setExpirationTime(iat + 3600);
  if (alg === "HS256") {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const token = await claims.setProtectedHeader({ alg }).sign(secret);
    const options = { secret, issuer: ISSUER, audience: AUDIENCE };
    return {
      alg,
      token,
      repeat: createTokenVerifier(options),
      firstSeen: createTokenVerifier({ ...options, cacheSize: 0 }),
    };
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...await jose.exportJWK(publicKey), kid: "k1", alg }] });
  const keys = jwksUrlKeySource({
    url: "https://id.example.com/jwks",
    fetchText: () => Promise.resolve(jwks),
    refreshIntervalMs: 0,
  });
  await keys.ready();
  const token = await claims.setProtectedHeader({ alg, kid: "k1" }).sign(privateKey);
  const options = { keys, issuer: ISSUER, audience: AUDIENCE };
  return {
    alg,
    token,
    keys,
    repeat: createTokenVerifier(options),
    firstSeen: createTokenVerifier({ ...options, cacheSize: 0 }),
  };
}

const cases = await Promise.all(
  (["HS256", "ES256", "EdDSA", "RS256", "PS256"] as const).map(makeCase),
);
for (const c of cases) {
  await c.firstSeen.verify(c.token); // warm the imported key
  Deno.bench({
    name: `${c.alg} repeat token (cache hit)`,
    group: "repeat",
    baseline: c.alg === "HS256",
    fn: async () => {
      await c.repeat.verify(c.token);
    },
  });
  Deno.bench({
    name: `${c.alg} first-seen token`,
    group: "first-seen",
    baseline: c.alg === "HS256",
    fn: async () => {
      await c.firstSeen.verify(c.token);
    },
  });
}
