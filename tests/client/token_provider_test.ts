import assert from "node:assert/strict";
import * as jose from "jose";
import { createTokenProvider, mintingTokenSource } from "../../lib/client/token_provider.ts";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET } from "../fixtures/broken_servers.ts";

/** A clock tests move by hand. */
function fakeClock(startMs = Date.UTC(2030, 0, 1)) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function mintingProvider(clock: ReturnType<typeof fakeClock>, ttlSeconds: number) {
  return createTokenProvider({
    source: mintingTokenSource({
      secret: TEST_SECRET,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      ttlSeconds,
      now: clock.now,
    }),
    now: clock.now,
  });
}

const CASES: { name: string; ttl: number; advanceSeconds: number; refreshed: boolean }[] = [
  {
    name: "keeps a one-hour token with 50 minutes left",
    ttl: 3600,
    advanceSeconds: 600,
    refreshed: false,
  },
  {
    name: "keeps a one-hour token just above 20% of its lifetime",
    ttl: 3600,
    advanceSeconds: 2879,
    refreshed: false,
  },
  {
    name: "refreshes a one-hour token once under 20% of its lifetime is left",
    ttl: 3600,
    advanceSeconds: 2881,
    refreshed: true,
  },
  {
    name: "keeps a two-minute token with more than 30 s left",
    ttl: 120,
    advanceSeconds: 89,
    refreshed: false,
  },
  {
    name: "refreshes a two-minute token once under 30 s are left",
    ttl: 120,
    advanceSeconds: 91,
    refreshed: true,
  },
  { name: "refreshes an expired token", ttl: 60, advanceSeconds: 120, refreshed: true },
];

for (const c of CASES) {
  Deno.test(`token provider ${c.name}`, async () => {
    const clock = fakeClock();
    const provider = mintingProvider(clock, c.ttl);
    const first = await provider.getToken();
    clock.advance(c.advanceSeconds * 1000);
    const second = await provider.getToken();
    assert.equal(provider.fetches, c.refreshed ? 2 : 1);
    assert.equal(second !== first, c.refreshed);
    if (c.refreshed) {
      const { iat } = jose.decodeJwt(second);
      assert.equal(iat, Math.floor(clock.now() / 1000), "the new token is minted at the fake now");
    }
  });
}

Deno.test("token provider shares one fetch between concurrent callers", async () => {
  const clock = fakeClock();
  const provider = mintingProvider(clock, 3600);
  const tokens = await Promise.all([provider.getToken(), provider.getToken(), provider.getToken()]);
  assert.equal(new Set(tokens).size, 1);
  assert.equal(provider.fetches, 1);
});

Deno.test("token provider fetches again after invalidate", async () => {
  const clock = fakeClock();
  const provider = mintingProvider(clock, 3600);
  await provider.getToken();
  provider.invalidate();
  clock.advance(1000);
  await provider.getToken();
  assert.equal(provider.fetches, 2);
});

Deno.test("token provider never refetches a literal token, even after invalidate", async () => {
  const provider = createTokenProvider({
    source: () => Promise.resolve("a.b.c"),
    refreshable: false,
  });
  await provider.getToken();
  provider.invalidate();
  assert.equal(await provider.getToken(), "a.b.c");
  assert.equal(provider.fetches, 1);
});

Deno.test("token provider reports a failing source to the caller and recovers", async () => {
  let fail = true;
  const provider = createTokenProvider({
    source: () => (fail ? Promise.reject(new Error("vault down")) : Promise.resolve("a.b.c")),
  });
  await assert.rejects(provider.getToken(), /vault down/);
  fail = false;
  assert.equal(await provider.getToken(), "a.b.c");
});
