/**
 * Tests for `lib/auth/jwks.ts` and asymmetric verification in
 * `lib/auth/jwt.ts`, against a real OpenID Provider (npm `oidc-provider` on
 * Node.js): discovery, JWKS, rotation without restart, outages, the unknown
 * `kid` rate limit, and the local key file source.
 */
import assert from "node:assert/strict";
import * as jose from "jose";
import {
  checkProviderUrl,
  type FetchText,
  fileKeySource,
  jwksUrlKeySource,
  type KeySource,
  oidcKeySource,
  parsePublicJwks,
} from "../../lib/auth/jwks.ts";
import { createTokenVerifier } from "../../lib/auth/jwt.ts";
import { startOidcProvider } from "../fixtures/oidc_provider.ts";
import { rejection } from "../_helpers/tokens.ts";
import { generateDevPki } from "../../lib/shared/dev_certs.ts";

const AUDIENCE = "urn:greeter:test";

function verifierFor(keys: KeySource, issuer: string) {
  return createTokenVerifier({ keys, issuer, audience: AUDIENCE });
}

Deno.test("provider URLs must be https, or http on a loopback address", async (t) => {
  const cases: [string, RegExp | null][] = [
    ["https://id.example.com", null],
    ["http://127.0.0.1:8080", null],
    ["http://127.9.8.7", null],
    ["http://localhost:3000", null],
    ["http://[::1]:3000", null],
    ["http://id.example.com", /must use https:\/\/ \(http:\/\/ is accepted only on a loopback/],
    ["http://10.0.0.1", /must use https/],
    ["http://127.0.0.1.nip.io", /must use https/],
    ["ftp://127.0.0.1", /must be an https:\/\/ URL/],
    ["https://user:pw@id.example.com", /must not carry credentials/],
    ["not a url", /is not a URL/],
  ];
  for (const [url, error] of cases) {
    await t.step(`${url} is ${error === null ? "accepted" : "refused"}`, () => {
      if (error === null) checkProviderUrl(url, "GREETER_OIDC_ISSUER");
      else assert.throws(() => checkProviderUrl(url, "GREETER_OIDC_ISSUER"), error);
    });
  }
});

Deno.test("a JWKS with private or symmetric keys is refused", async (t) => {
  const { privateKey } = await jose.generateKeyPair("ES256", { extractable: true });
  const priv = await jose.exportJWK(privateKey);
  const cases: [string, string, RegExp][] = [
    ["a private key", JSON.stringify({ keys: [priv] }), /private key/],
    ["an oct key", JSON.stringify({ keys: [{ kty: "oct", k: "AAAA" }] }), /symmetric/],
    [
      "two keys with one kid",
      JSON.stringify({ keys: [pub(priv, "a"), pub(priv, "a")] }),
      /two keys/,
    ],
    ["text that is not JSON", "{", /not JSON/],
    ["JSON without keys", "[]", /neither a JWKS/],
  ];
  for (const [name, text, error] of cases) {
    await t.step(`a JWKS with ${name} is refused`, () => {
      assert.throws(() => parsePublicJwks(text, "test JWKS"), error);
    });
  }
});

function pub(jwk: jose.JWK, kid: string): jose.JWK {
  const { d: _d, ...rest } = jwk;
  return { ...rest, kid };
}

Deno.test("tokens from a real OpenID provider verify through discovery and JWKS", async (t) => {
  await using provider = await startOidcProvider();
  const sources: [string, () => KeySource][] = [
    ["OIDC discovery", () => oidcKeySource({ issuer: provider.issuer, refreshIntervalMs: 0 })],
    ["the JWKS URL", () => jwksUrlKeySource({ url: provider.jwksUrl, refreshIntervalMs: 0 })],
  ];
  for (const [name, make] of sources) {
    await t.step(`a client credentials token verifies with keys from ${name}`, async () => {
      using keys = disposable(make());
      await keys.source.ready();
      const claims = await verifierFor(keys.source, provider.issuer)
        .verify(await provider.token({ scope: "greet" }));
      assert.equal(claims.sub, provider.clientId);
      assert.equal(claims.scope, "greet");
      assert.equal(claims.aud, AUDIENCE);
    });
  }
  await t.step("a token for another resource is refused as the wrong audience", async () => {
    using keys = disposable(oidcKeySource({ issuer: provider.issuer, refreshIntervalMs: 0 }));
    const token = await provider.token({ resource: "urn:other" });
    assert.equal(
      await rejection(verifierFor(keys.source, provider.issuer).verify(token)),
      "audience",
    );
  });
  await t.step("discovery refuses an issuer that names itself differently", async () => {
    using keys = disposable(
      oidcKeySource({
        issuer: provider.issuer.replace("127.0.0.1", "localhost"),
        refreshIntervalMs: 0,
      }),
    );
    await assert.rejects(
      keys.source.ready(),
      /names issuer "http:\/\/127\.0\.0\.1:\d+", not http:\/\/localhost/,
    );
  });
});

Deno.test("key rotation at the provider needs no restart, and removed keys stop working", async () => {
  await using provider = await startOidcProvider();
  using keys = disposable(
    oidcKeySource({ issuer: provider.issuer, refreshIntervalMs: 0, minRefreshIntervalMs: 0 }),
  );
  const verifier = verifierFor(keys.source, provider.issuer);
  const oldToken = await provider.token();
  await verifier.verify(oldToken);

  await provider.rotate();
  const newToken = await provider.token();
  assert.notEqual(
    jose.decodeProtectedHeader(newToken).kid,
    jose.decodeProtectedHeader(oldToken).kid,
  );
  // The new kid is unknown to the cache: one refresh fetches it.
  await verifier.verify(newToken);
  // Both keys are published: the old token still verifies.
  await verifier.verify(oldToken);

  await provider.retire();
  await provider.rotate(); // a third key, so the next token forces a refresh
  await verifier.verify(await provider.token());
  // The refresh saw the old key gone: its cached token is not answered from
  // the cache any more, but verified again and refused.
  assert.equal(verifier.cached?.(oldToken), undefined);
  assert.equal(await rejection(verifier.verify(oldToken)), "unknown-key");
  assert.deepEqual(await verifier.verify(newToken).then((c) => c.sub), provider.clientId);
});

Deno.test("when the provider is down, cached keys work and unknown keys fail closed in time", async (t) => {
  await using provider = await startOidcProvider();
  using keys = disposable(
    oidcKeySource({
      issuer: provider.issuer,
      refreshIntervalMs: 0,
      minRefreshIntervalMs: 0,
      fetchTimeoutMs: 300,
    }),
  );
  const verifier = createTokenVerifier({
    keys: keys.source,
    issuer: provider.issuer,
    audience: AUDIENCE,
    cacheSize: 0, // every call goes to the key source
  });
  const known = await provider.token();
  await verifier.verify(known);
  // A token signed by a key the server has not seen yet.
  await provider.rotate();
  const unseen = await provider.token();
  for (const mode of ["hang", "error"] as const) {
    await provider.setMode(mode);
    await t.step(
      `with the provider in "${mode}" mode a token with a cached key verifies`,
      async () => {
        assert.equal((await verifier.verify(known)).sub, provider.clientId);
      },
    );
    await t.step(`with the provider in "${mode}" mode an unknown key fails closed`, async () => {
      const started = performance.now();
      assert.equal(await rejection(verifier.verify(unseen)), "unknown-key");
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1500, `took ${Math.round(elapsed)} ms`);
    });
  }
  await t.step("a caller's abort signal ends the wait before the fetch timeout", async () => {
    await provider.setMode("hang");
    using slow = disposable(
      oidcKeySource({ issuer: provider.issuer, refreshIntervalMs: 0, fetchTimeoutMs: 5000 }),
    );
    const v = createTokenVerifier({
      keys: slow.source,
      issuer: provider.issuer,
      audience: AUDIENCE,
    });
    const started = performance.now();
    assert.equal(
      await rejection(v.verify(unseen, AbortSignal.timeout(200))),
      "keys-unavailable",
    );
    assert.ok(performance.now() - started < 1000);
  });
  await provider.setMode("up");
  await t.step("once the provider is back, the new key verifies", async () => {
    assert.equal((await verifier.verify(unseen)).sub, provider.clientId);
  });
});

Deno.test("unknown kids refresh the keys at most once per cool-down", async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwks = JSON.stringify({ keys: [{ ...await jose.exportJWK(publicKey), kid: "k1" }] });
  let fetches = 0;
  const fetchText: FetchText = () => {
    fetches++;
    return Promise.resolve(jwks);
  };
  const clock = { ms: 1_900_000_000_000 };
  using keys = disposable(jwksUrlKeySource({
    url: "https://keys.example.com/jwks",
    fetchText,
    refreshIntervalMs: 0,
    minRefreshIntervalMs: 10_000,
    now: () => clock.ms,
  }));
  const verifier = createTokenVerifier({
    keys: keys.source,
    issuer: "i",
    audience: AUDIENCE,
    now: () => clock.ms,
  });
  const iat = clock.ms / 1000;
  const sign = (kid: string) =>
    new jose.SignJWT({ sub: "s" }).setProtectedHeader({ alg: "ES256", kid }).setIssuer("i")
      .setAudience(AUDIENCE).setIssuedAt(iat).setExpirationTime(iat + 60).sign(privateKey);
  await verifier.verify(await sign("k1"));
  assert.equal(fetches, 1);
  for (let i = 0; i < 50; i++) {
    assert.equal(await rejection(verifier.verify(await sign(`random-${i}`))), "unknown-key");
  }
  assert.equal(fetches, 1, "a flood of random kids inside the cool-down fetched again");
  clock.ms += 10_000;
  assert.equal(await rejection(verifier.verify(await sign("random-late"))), "unknown-key");
  assert.equal(fetches, 2, "after the cool-down an unknown kid refreshes once");
});

Deno.test("a local key file holds a JWKS, a JWK or a PEM public key, never a private key", async (t) => {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  const iat = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({ sub: "s" }).setProtectedHeader({ alg: "RS256" })
    .setIssuer("i").setAudience(AUDIENCE).setIssuedAt(iat).setExpirationTime(iat + 60)
    .sign(privateKey);
  const jwk = await jose.exportJWK(publicKey);
  const files: [string, string, RegExp | null][] = [
    ["a JWKS", JSON.stringify({ keys: [jwk] }), null],
    ["a single JWK", JSON.stringify(jwk), null],
    ["a PEM public key", await jose.exportSPKI(publicKey), null],
    ["a PEM private key", await jose.exportPKCS8(privateKey), /private key/],
    ["a private JWK", JSON.stringify(await jose.exportJWK(privateKey)), /private key/],
  ];
  for (const [name, text, error] of files) {
    await t.step(`a file with ${name} is ${error === null ? "used" : "refused"}`, async () => {
      const source = fileKeySource({ path: "keys", readTextFile: () => Promise.resolve(text) });
      if (error !== null) return await assert.rejects(source.ready(), error);
      await source.ready();
      const claims = await createTokenVerifier({ keys: source, issuer: "i", audience: AUDIENCE })
        .verify(token);
      assert.equal(claims.sub, "s");
    });
  }
});

function disposable(source: KeySource): { source: KeySource } & Disposable {
  return { source, [Symbol.dispose]: () => source.close() };
}

Deno.test("https key fetches trust the CA the operator names, and refuse an unknown one", async (t) => {
  const pki = await generateDevPki();
  const { publicKey } = await jose.generateKeyPair("ES256");
  const jwks = JSON.stringify({ keys: [{ ...await jose.exportJWK(publicKey), kid: "k1" }] });
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: pki.serverCert,
    key: pki.serverKey,
    onListen: () => {},
  }, () => new Response(jwks, { headers: { "content-type": "application/json" } }));
  const url = `https://localhost:${server.addr.port}/jwks`;
  await t.step("with the named CA the keys load over https", async () => {
    using keys = disposable(
      jwksUrlKeySource({ url, caCerts: [pki.caCert], refreshIntervalMs: 0 }),
    );
    await keys.source.ready();
    assert.equal(keys.source.version, 1);
  });
  await t.step("with the system roots the self-made CA is refused", async () => {
    using keys = disposable(jwksUrlKeySource({ url, refreshIntervalMs: 0 }));
    await assert.rejects(keys.source.ready(), /cannot fetch https:\/\/localhost:\d+\/jwks/);
  });
});
