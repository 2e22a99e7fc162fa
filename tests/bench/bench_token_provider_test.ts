import assert from "node:assert/strict";
import { createTokenVerifier } from "../../lib/auth/jwt.ts";
import {
  BENCH_AUDIENCE,
  BENCH_ISSUER,
  benchTokenProvider,
} from "../../lib/bench/bench_token_provider.ts";

const SECRET = "bench-secret-for-the-provider-test-0123456789";

Deno.test("bench token provider mints tokens a bench server's verifier accepts", async () => {
  const token = await benchTokenProvider(SECRET).getToken();
  const verifier = createTokenVerifier({
    secret: new TextEncoder().encode(SECRET),
    issuer: BENCH_ISSUER,
    audience: BENCH_AUDIENCE,
  });
  const claims = await verifier.verify(token);
  assert.equal(claims.sub, "bench");
  assert.equal(claims.iss, BENCH_ISSUER);
});

Deno.test("bench token provider's tokens are refused under another secret", async () => {
  const token = await benchTokenProvider(SECRET).getToken();
  const verifier = createTokenVerifier({
    secret: new TextEncoder().encode(`${SECRET}-other`),
    issuer: BENCH_ISSUER,
    audience: BENCH_AUDIENCE,
  });
  await assert.rejects(verifier.verify(token));
});
