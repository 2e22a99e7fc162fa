/**
 * Tests for `lib/client/oauth_token_provider.ts` against a real OAuth2 / OIDC
 * provider (npm `oidc-provider` on Node.js).
 */
import assert from "node:assert/strict";
import * as jose from "jose";
import {
  clientCredentialsTokenSource,
  createClientCredentialsProvider,
} from "../../lib/client/oauth_token_provider.ts";
import { startOidcProvider } from "../fixtures/oidc_provider.ts";
import * as grpc from "@grpc/grpc-js";
import { createGreeterClient } from "../../lib/client/greeter_client.ts";
import { startTestServer } from "../_helpers/test_server.ts";

Deno.test("client credentials tokens come from a real provider, by URL or discovery", async (t) => {
  await using provider = await startOidcProvider({ ttlSeconds: 120 });
  const ways = [
    ["the token URL", { tokenUrl: provider.tokenUrl }],
    ["OIDC discovery", { issuer: provider.issuer }],
  ] as const;
  for (const [name, where] of ways) {
    await t.step(
      `a token found through ${name} carries the scope and audience asked for`,
      async () => {
        const source = clientCredentialsTokenSource({
          ...where,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          scope: "greet chat",
          audience: "urn:greeter:test",
        });
        try {
          const issued = await source();
          assert.equal(issued.expiresInSeconds, 120);
          const claims = jose.decodeJwt(issued.token);
          assert.equal(claims.scope, "greet chat");
          assert.equal(claims.aud, "urn:greeter:test");
          assert.equal(claims.iss, provider.issuer);
          assert.equal(claims.sub, provider.clientId);
        } finally {
          source.close();
        }
      },
    );
  }
  await t.step(
    "a wrong secret is refused with the server's error code, not the secret",
    async () => {
      const source = clientCredentialsTokenSource({
        tokenUrl: provider.tokenUrl,
        clientId: provider.clientId,
        clientSecret: "wrong-secret-value",
      });
      await assert.rejects(source(), (error: Error) => {
        assert.match(error.message, /refused the request \(invalid_client/);
        assert.doesNotMatch(error.message, /wrong-secret-value/);
        return true;
      });
    },
  );
  await t.step("an http token URL off loopback is refused before any request", () => {
    assert.throws(
      () =>
        clientCredentialsTokenSource({
          tokenUrl: "http://id.example.com/token",
          clientId: "c",
          clientSecret: "s",
        }),
      /must use https/,
    );
  });
});

Deno.test("the client credentials provider caches its token and refreshes it before expiry", async () => {
  await using provider = await startOidcProvider({ ttlSeconds: 100 });
  let ms = Date.now();
  const tokens = createClientCredentialsProvider({
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    audience: "urn:greeter:test",
    now: () => ms,
  });
  try {
    const [a, b] = await Promise.all([tokens.getToken(), tokens.getToken()]);
    assert.equal(a, b);
    assert.equal(tokens.fetches, 1, "concurrent callers share one request");
    ms += 60_000; // 40 s left: more than the 30 s margin
    assert.equal(await tokens.getToken(), a);
    ms += 11_000; // 29 s left: refresh
    const c = await tokens.getToken();
    assert.equal(tokens.fetches, 2);
    assert.notEqual(c, a);
  } finally {
    tokens.close();
  }
});

Deno.test("a call whose token cannot be fetched fails UNAVAILABLE, naming the token endpoint's answer", async () => {
  await using provider = await startOidcProvider();
  await provider.setMode("error");
  await using server = await startTestServer();
  const tokens = createClientCredentialsProvider({
    tokenUrl: provider.tokenUrl,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
  });
  using client = disposableClient(createGreeterClient({
    target: `localhost:${server.port}`,
    tls: { ca: server.pki.caCert },
    tokenProvider: tokens,
    deadlineMs: 5000,
  }));
  await assert.rejects(client.connection.sayHello({ name: "Ada" }), (error: grpc.ServiceError) => {
    assert.equal(grpc.status[error.code], "UNAVAILABLE");
    assert.match(error.details, /token provider failed: token endpoint .* answered HTTP 503/);
    return true;
  });
  tokens.close();
});

function disposableClient<T extends { close(): void }>(connection: T) {
  return { connection, [Symbol.dispose]: () => connection.close() };
}
