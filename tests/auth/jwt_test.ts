/**
 * Unit tests for `lib/auth/jwt.ts`: signing, every rejection reason, the
 * secret length rule, the verified-token cache and `parseBearer`.
 */
import assert from "node:assert/strict";
import * as jose from "jose";
import {
  BearerParser,
  createTokenVerifier,
  type GreeterClaims,
  type HmacAlgorithm,
  parseBearer,
  signToken,
  TokenError,
  type TokenRejection,
  type TokenVerifierOptions,
} from "../../lib/auth/jwt.ts";
import {
  mintToken,
  randomSecret,
  rejection,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TokenKind,
} from "../_helpers/tokens.ts";

const secret = randomSecret();
const T0 = 1_900_000_000_000; // a fixed instant, ms since the epoch

function verifierAt(clock: { ms: number }, options: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    secret,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    clockToleranceSeconds: 5,
    now: () => clock.ms,
    ...options,
  });
}

function signClaims(claims: jose.JWTPayload, alg = "HS256", key = secret): Promise<string> {
  return new jose.SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
}

Deno.test("signToken and the verifier round-trip the claims for each HMAC algorithm", async (t) => {
  for (const algorithm of ["HS256", "HS384", "HS512"] as HmacAlgorithm[]) {
    await t.step(`a ${algorithm} token verifies to its claims`, async () => {
      const clock = { ms: T0 };
      const token = await signToken({
        secret,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        subject: "alice",
        ttlSeconds: 120,
        algorithm,
        now: () => clock.ms,
      });
      assert.equal(JSON.parse(atob(token.split(".")[0])).alg, algorithm);
      const claims: GreeterClaims = await verifierAt(clock, { algorithms: [algorithm] })
        .verify(token);
      const iat = T0 / 1000;
      assert.deepEqual({ ...claims }, {
        sub: "alice",
        iss: TEST_ISSUER,
        aud: TEST_AUDIENCE,
        iat,
        exp: iat + 120,
      });
    });
  }
});

Deno.test("the verifier refuses each kind of bad token with the matching reason", async (t) => {
  const clock = { ms: T0 };
  const now = () => clock.ms;
  const sec = T0 / 1000;
  const mint = (kind: TokenKind) => mintToken(kind, { secret, now });
  const cases: { name: string; token: () => Promise<string>; reason: TokenRejection }[] = [
    { name: "an expired token", token: () => mint("expired"), reason: "expired" },
    {
      name: "a token whose nbf is ahead",
      token: () => mint("not-yet-valid"),
      reason: "not-yet-valid",
    },
    {
      name: "a token issued in the future",
      token: () =>
        signClaims({
          sub: "a",
          iss: TEST_ISSUER,
          aud: TEST_AUDIENCE,
          iat: sec + 60,
          exp: sec + 600,
        }),
      reason: "not-yet-valid",
    },
    { name: "a token from another issuer", token: () => mint("wrong-issuer"), reason: "issuer" },
    {
      name: "a token for another audience",
      token: () => mint("wrong-audience"),
      reason: "audience",
    },
    {
      name: "a token signed with another secret",
      token: () => mint("bad-signature"),
      reason: "signature",
    },
    { name: "an alg none token", token: () => mint("alg-none"), reason: "algorithm" },
    {
      name: "an HS512 token when only HS256 is allowed",
      token: () =>
        signToken({
          secret,
          issuer: TEST_ISSUER,
          audience: TEST_AUDIENCE,
          subject: "a",
          algorithm: "HS512",
          now,
        }),
      reason: "algorithm",
    },
    { name: "a token without sub", token: () => mint("missing-sub"), reason: "claims" },
    {
      name: "a token with a blank sub",
      token: () =>
        signToken({ secret, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject: "  ", now }),
      reason: "claims",
    },
    {
      name: "a token without exp",
      token: () => signClaims({ sub: "a", iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: sec }),
      reason: "claims",
    },
    {
      name: "a token without iat",
      token: () => signClaims({ sub: "a", iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: sec + 60 }),
      reason: "claims",
    },
    {
      name: "a string that is not a JWT",
      token: () => Promise.resolve("a.b.c"),
      reason: "malformed",
    },
  ];
  for (const { name, token, reason } of cases) {
    await t.step(`the verifier refuses ${name} as "${reason}"`, async () => {
      assert.equal(await rejection(verifierAt(clock).verify(await token())), reason);
    });
  }
  await t.step("each reason has a short message that names no token content", () => {
    for (const { reason } of cases) {
      const { message } = new TokenError(reason);
      assert.ok(message.length > 5 && message.length < 40, message);
      assert.match(message, /token/);
    }
  });
});

Deno.test("the verifier honours the clock tolerance at exp, both sides of the edge", async () => {
  const clock = { ms: T0 };
  const token = await signToken({
    secret,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    subject: "a",
    ttlSeconds: 60,
    now: () => clock.ms,
  });
  clock.ms = T0 + (60 + 4) * 1000; // 4 s past exp, within the 5 s tolerance
  assert.equal((await verifierAt(clock, { cacheSize: 0 }).verify(token)).sub, "a");
  clock.ms = T0 + (60 + 6) * 1000;
  assert.equal(await rejection(verifierAt(clock, { cacheSize: 0 }).verify(token)), "expired");
});

Deno.test("secrets shorter than 32 bytes are refused when signing and verifying", async (t) => {
  for (const length of [0, 16, 31]) {
    const short = new Uint8Array(length);
    await t.step(`a ${length}-byte secret is refused`, async () => {
      await assert.rejects(
        signToken({ secret: short, issuer: "i", audience: "a", subject: "s" }),
        new RegExp(`${length} bytes; at least 32`),
      );
      assert.throws(
        () => createTokenVerifier({ secret: short, issuer: "i", audience: "a" }),
        new RegExp(`${length} bytes; at least 32`),
      );
    });
  }
  await t.step("a 32-byte secret is accepted", () => {
    createTokenVerifier({ secret: new Uint8Array(32), issuer: "i", audience: "a" });
  });
  await t.step("an algorithm outside the HMAC list is refused at construction", () => {
    assert.throws(
      () =>
        createTokenVerifier({
          secret,
          issuer: "i",
          audience: "a",
          algorithms: ["none" as HmacAlgorithm],
        }),
      /JWT algorithm none cannot be used with a shared secret/,
    );
  });
});

Deno.test("the verifier cache answers a repeated token without verifying it again", async (t) => {
  const clock = { ms: T0 };
  const now = () => clock.ms;
  const token = await mintToken("valid", { secret, now });

  await t.step("a repeated token returns the very same claims object (a cache hit)", async () => {
    const verifier = verifierAt(clock);
    const first = await verifier.verify(token);
    assert.equal(verifier.cacheEntries, 1);
    assert.equal(await verifier.verify(token), first);
  });
  await t.step("with the cache off, each verification builds fresh claims", async () => {
    const verifier = verifierAt(clock, { cacheSize: 0 });
    const first = await verifier.verify(token);
    assert.notEqual(await verifier.verify(token), first);
    assert.equal(verifier.cacheEntries, 0);
  });
  await t.step("a token with a forged signature never hits the cached entry", async () => {
    const verifier = verifierAt(clock);
    await verifier.verify(token);
    const [header, payload] = token.split(".");
    const forged = `${header}.${payload}.${"A".repeat(43)}`;
    assert.equal(await rejection(verifier.verify(forged)), "signature");
  });
});

Deno.test("the verifier answers a token it verified before at once, and only such a token", async (t) => {
  const clock = { ms: T0 };
  const now = () => clock.ms;
  const token = await mintToken("valid", { secret, now });

  await t.step("a token never verified is not answered", () => {
    assert.equal(verifierAt(clock).cached?.(token), undefined);
  });
  await t.step("a verified token is answered with its cached claims", async () => {
    const verifier = verifierAt(clock);
    const claims = await verifier.verify(token);
    assert.equal(verifier.cached?.(token), claims);
  });
  await t.step("a forged signature is not answered", async () => {
    const verifier = verifierAt(clock);
    await verifier.verify(token);
    const [header, payload] = token.split(".");
    assert.equal(verifier.cached?.(`${header}.${payload}.${"A".repeat(43)}`), undefined);
  });
  await t.step("an expired token is not answered, and verify still refuses it", async () => {
    const verifier = verifierAt(clock);
    const claims = await verifier.verify(token);
    const saved = clock.ms;
    clock.ms = (claims.exp + 6) * 1000;
    try {
      assert.equal(verifier.cached?.(token), undefined);
      assert.equal(await rejection(verifier.verify(token)), "expired");
    } finally {
      clock.ms = saved;
    }
  });
  await t.step("with the cache off, nothing is answered", async () => {
    const verifier = verifierAt(clock, { cacheSize: 0 });
    await verifier.verify(token);
    assert.equal(verifier.cached?.(token), undefined);
  });
});

Deno.test("the verifier cache holds at most cacheSize tokens and evicts the least recently used", async () => {
  const clock = { ms: T0 };
  const now = () => clock.ms;
  const verifier = verifierAt(clock, { cacheSize: 2 });
  const [a, b, c] = await Promise.all(
    ["a", "b", "c"].map((subject) => mintToken("valid", { secret, subject, now })),
  );
  const claimsA = await verifier.verify(a);
  const claimsB = await verifier.verify(b);
  assert.equal(await verifier.verify(a), claimsA); // a is now the most recently used
  await verifier.verify(c); // evicts b
  assert.equal(verifier.cacheEntries, 2);
  assert.equal(await verifier.verify(a), claimsA, "a was evicted instead of b");
  const againB = await verifier.verify(b);
  assert.notEqual(againB, claimsB, "b was still cached");
  assert.equal(againB.sub, "b");
  assert.equal(verifier.cacheEntries, 2);
});

Deno.test("a cached token is refused once it expires, by the injected clock", async () => {
  const clock = { ms: T0 };
  const verifier = verifierAt(clock);
  const token = await mintToken("valid", { secret, ttlSeconds: 30, now: () => clock.ms });
  const claims = await verifier.verify(token);
  clock.ms = T0 + 34_000; // exp + 4 s: inside the tolerance, still the cached entry
  assert.equal(await verifier.verify(token), claims);
  clock.ms = T0 + 36_000; // exp + 6 s
  assert.equal(await rejection(verifier.verify(token)), "expired");
  assert.equal(verifier.cacheEntries, 0, "the expired entry stayed cached");
});

Deno.test("parseBearer extracts the token or names the problem", async (t) => {
  const cases: { header: string | undefined; expected: string | TokenRejection }[] = [
    { header: "Bearer aaa.bbb.ccc", expected: "aaa.bbb.ccc" },
    { header: "bearer aaa.bbb.ccc", expected: "aaa.bbb.ccc" },
    { header: "BEARER  aaa.bbb.ccc  ", expected: "aaa.bbb.ccc" },
    { header: "Bearer a-_.b-_.c-_", expected: "a-_.b-_.c-_" },
    { header: "Bearer aaa.bbb.", expected: "aaa.bbb." },
    { header: undefined, expected: "missing" },
    { header: "", expected: "missing" },
    { header: "   ", expected: "missing" },
    { header: "Bearer", expected: "malformed" },
    { header: "Bearer ", expected: "malformed" },
    { header: "aaa.bbb.ccc", expected: "malformed" },
    { header: "Basic aaa.bbb.ccc", expected: "malformed" },
    { header: "Bearer aaa.bbb", expected: "malformed" },
    { header: "Bearer aaa.bbb.ccc.ddd", expected: "malformed" },
    { header: "Bearer aaa.b b.ccc", expected: "malformed" },
    { header: "Bearer aaa.bbb.ccc, Bearer ddd.eee.fff", expected: "malformed" },
    { header: "Bearer aa+a.bbb.ccc", expected: "malformed" },
  ];
  for (const { header, expected } of cases) {
    const isToken = expected.includes(".");
    await t.step(
      `parseBearer(${JSON.stringify(header)}) ${isToken ? "returns" : "refuses as"} ${expected}`,
      () => {
        if (isToken) {
          assert.equal(parseBearer(header), expected);
        } else {
          assert.throws(
            () => parseBearer(header),
            (error) => error instanceof TokenError && error.reason === expected,
          );
        }
      },
    );
  }
});

Deno.test("BearerParser answers as parseBearer for every header, repeated or not, and hands back the same token", () => {
  const headers = [
    "Bearer aaa.bbb.ccc",
    "Bearer aaa.bbb.ccc",
    "Bearer aaa.bbb",
    "Bearer aaa.bbb.ccc",
    undefined,
    undefined,
    "bearer ddd.eee.fff",
    "",
    "bearer ddd.eee.fff",
    "Basic aaa.bbb.ccc",
    "Basic aaa.bbb.ccc",
    "bearer ddd.eee.fff",
  ];
  const bearer = new BearerParser();
  let last: string | undefined;
  let lastHeader: string | undefined;
  for (const [i, header] of headers.entries()) {
    const expected = (() => {
      try {
        return parseBearer(header);
      } catch (error) {
        return error as TokenError;
      }
    })();
    if (typeof expected === "string") {
      const token = bearer.parse(header);
      assert.equal(token, expected, `header ${i}`);
      if (header === lastHeader) assert.ok(Object.is(token, last), `header ${i}: the same string`);
      last = token;
      lastHeader = header;
    } else {
      assert.throws(
        () => bearer.parse(header),
        (error) => error instanceof TokenError && error.reason === expected.reason,
        `header ${i}`,
      );
    }
  }
});

/**
 * Signs a raw JSON payload under a raw header with WebCrypto, so numbers like
 * `1e400` and headers jose would refuse to produce (`crit`) reach the verifier.
 */
async function signRaw(
  json: string,
  header: Record<string, unknown>,
  key: jose.CryptoKey | Uint8Array,
): Promise<string> {
  const b64 = (bytes: Uint8Array) => jose.base64url.encode(bytes);
  const input = `${b64(new TextEncoder().encode(JSON.stringify(header)))}.${
    b64(new TextEncoder().encode(json))
  }`;
  const data = new TextEncoder().encode(input);
  let signature: ArrayBuffer;
  if (key instanceof Uint8Array) {
    const hmac = await crypto.subtle.importKey(
      "raw",
      key as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    signature = await crypto.subtle.sign("HMAC", hmac, data);
  } else {
    signature = await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      key as CryptoKey,
      data,
    );
  }
  return `${input}.${b64(new Uint8Array(signature))}`;
}

Deno.test("claims are checked strictly whatever the key type", async (t) => {
  const clock = { ms: T0 };
  const iat = T0 / 1000;
  const base = `"sub":"s","iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}"`;
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const keys = {
    description: "test key",
    version: 1,
    ready: () => Promise.resolve(),
    refresh: () => Promise.resolve(),
    getKey: () => Promise.resolve(publicKey),
    close() {},
  };
  const families = [
    { name: "HS256", verifier: () => verifierAt(clock), alg: "HS256", key: secret },
    {
      name: "ES256",
      verifier: () => verifierAt(clock, { secret: undefined, keys }),
      alg: "ES256",
      key: privateKey,
    },
  ];
  const cases: [string, string, Record<string, unknown> | null, TokenRejection][] = [
    ["an exp of 1e400 (Infinity)", `{${base},"iat":${iat},"exp":1e400}`, null, "claims"],
    ["a fractional exp", `{${base},"iat":${iat},"exp":${iat + 60.5}}`, null, "claims"],
    ["a fractional iat", `{${base},"iat":${iat + 0.5},"exp":${iat + 60}}`, null, "claims"],
    ["a string nbf", `{${base},"iat":${iat},"exp":${iat + 60},"nbf":"0"}`, null, "claims"],
    ["an exp before its iat", `{${base},"iat":${iat},"exp":${iat - 1}}`, null, "claims"],
    ["a lifetime over a day", `{${base},"iat":${iat},"exp":${iat + 86_401}}`, null, "lifetime"],
    [
      "a crit header",
      `{${base},"iat":${iat},"exp":${iat + 60}}`,
      { crit: ["x-greeter-test"], "x-greeter-test": true },
      "critical",
    ],
  ];
  for (const family of families) {
    for (const [name, json, extraHeader, reason] of cases) {
      await t.step(`a ${family.name} token with ${name} is refused (${reason})`, async () => {
        const token = await signRaw(json, { alg: family.alg, ...extraHeader }, family.key);
        assert.equal(await rejection(family.verifier().verify(token)), reason);
      });
    }
    await t.step(`a ${family.name} token with a one-day lifetime is accepted`, async () => {
      const token = await signRaw(`{${base},"iat":${iat},"exp":${iat + 86_400}}`, {
        alg: family.alg,
      }, family.key);
      assert.equal((await family.verifier().verify(token)).sub, "s");
    });
  }
  await t.step("the crit reason says so", () => {
    assert.match(new TokenError("critical").message, /critical header \(crit\)/);
  });
  await t.step("a longer lifetime is accepted when configured", async () => {
    const token = await signRaw(`{${base},"iat":${iat},"exp":${iat + 7 * 86_400}}`, {
      alg: "HS256",
    }, secret);
    const verifier = verifierAt(clock, { maxLifetimeSeconds: 7 * 86_400 });
    assert.equal((await verifier.verify(token)).sub, "s");
  });
});

Deno.test("HMAC and public-key algorithms never mix", async (t) => {
  const clock = { ms: T0 };
  const iat = T0 / 1000;
  const { publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  const pem = await jose.exportSPKI(publicKey);
  const keys = {
    description: "test key",
    version: 1,
    ready: () => Promise.resolve(),
    refresh: () => Promise.resolve(),
    getKey: () => Promise.resolve(publicKey),
    close() {},
  };
  const claims = { sub: "s", iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat, exp: iat + 60 };
  await t.step(
    "an HS256 token signed with the public key (PEM) as the secret is refused",
    async () => {
      const token = await signClaims(claims, "HS256", new TextEncoder().encode(pem));
      const verifier = verifierAt(clock, { secret: undefined, keys });
      assert.equal(await rejection(verifier.verify(token)), "algorithm");
    },
  );
  await t.step("an alg:none token is refused by a public-key verifier", async () => {
    const token = `${btoa('{"alg":"none"}').replace(/=+$/, "")}.${
      btoa(JSON.stringify(claims)).replace(/=+$/, "")
    }.`;
    const verifier = verifierAt(clock, { secret: undefined, keys });
    assert.equal(await rejection(verifier.verify(token)), "algorithm");
  });
  await t.step("a verifier refuses HMAC algorithms with public keys", () => {
    assert.throws(
      () => verifierAt(clock, { secret: undefined, keys, algorithms: ["HS256"] }),
      /HS256 cannot be used with public keys/,
    );
  });
  await t.step("a verifier refuses public-key algorithms with a secret", () => {
    assert.throws(
      () => verifierAt(clock, { algorithms: ["RS256"] }),
      /RS256 cannot be used with a shared secret/,
    );
  });
  await t.step("a verifier refuses both a secret and public keys", () => {
    assert.throws(() => verifierAt(clock, { keys }), /either a secret or public keys/);
  });
});
