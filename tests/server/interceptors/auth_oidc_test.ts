/**
 * The auth interceptor with tokens from a real OpenID Provider (npm
 * `oidc-provider` on Node.js): a TLS server on port 0 verifying against the
 * provider's JWKS through discovery, with a per-method policy.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { parseAuthzPolicy } from "../../../lib/auth/authz_policy.ts";
import { oidcKeySource } from "../../../lib/auth/jwks.ts";
import type { GreeterCallContext } from "../../../lib/server/handlers/greeter.ts";
import { createGreeterService } from "../../../lib/server/handlers/greeter.ts";
import { startOidcProvider } from "../../fixtures/oidc_provider.ts";
import { serverStream, unary } from "../../_helpers/calls.ts";
import { healthCheck } from "../../_helpers/health_check.ts";
import { startTestServer } from "../../_helpers/test_server.ts";
import { bearer } from "../../_helpers/tokens.ts";

const AUDIENCE = "urn:greeter:test";
const POLICY = parseAuthzPolicy(`
rules:
  helloworld.Greeter: { scopes: [greet] }
  helloworld.Greeter/SayHelloStream: { scopes: [greet, admin] }
`);

async function setup(options: { policyText?: string } = {}) {
  const provider = await startOidcProvider();
  const keys = oidcKeySource({
    issuer: provider.issuer,
    refreshIntervalMs: 0,
    minRefreshIntervalMs: 0,
    fetchTimeoutMs: 500,
  });
  await keys.ready();
  const seen: GreeterCallContext[] = [];
  const base = createGreeterService();
  const server = await startTestServer({
    service: {
      ...base,
      sayHello: (request, context) => {
        seen.push(context);
        return base.sayHello(request, context);
      },
    },
    auth: {
      keys,
      issuer: provider.issuer,
      audience: AUDIENCE,
      policy: options.policyText === undefined ? POLICY : parseAuthzPolicy(options.policyText),
    },
  });
  const client = server.client();
  return {
    provider,
    server,
    client,
    seen,
    async [Symbol.asyncDispose]() {
      client.close();
      await server[Symbol.asyncDispose]();
      keys.close();
      await provider[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a server verifying provider tokens enforces the policy per method", async (t) => {
  await using env = await setup();
  const { provider, client } = env;
  const cases: [string, string | undefined, "unary" | "stream", string, string][] = [
    ["a unary call with the greet scope", "greet", "unary", "OK", ""],
    [
      "a unary call without scopes",
      undefined,
      "unary",
      "PERMISSION_DENIED",
      'missing scope "greet"',
    ],
    [
      "a stream call with greet only",
      "greet",
      "stream",
      "PERMISSION_DENIED",
      'missing scope "admin"',
    ],
    ["a stream call with greet and admin", "greet admin", "stream", "OK", ""],
  ];
  for (const [name, scope, kind, code, details] of cases) {
    await t.step(`${name} ends ${code}`, async () => {
      const token = await provider.token(scope === undefined ? {} : { scope });
      const call = kind === "unary" ? unary : serverStream;
      const result = await call(client, { name: "Ada", count: 2 }, { metadata: bearer(token) });
      assert.equal(grpc.status[result.code], code, result.details);
      if (code === "OK") assert.ok(result.messages.length > 0);
      else assert.equal(result.details, details);
    });
  }
  await t.step("a token for another audience ends UNAUTHENTICATED", async () => {
    const token = await provider.token({ scope: "greet", resource: "urn:other" });
    const result = await unary(client, { name: "Ada" }, { metadata: bearer(token) });
    assert.equal(grpc.status[result.code], "UNAUTHENTICATED");
    assert.equal(result.details, "token audience not accepted");
  });
  await t.step("the handler sees the typed subject and scopes, never the token", async () => {
    env.seen.length = 0;
    const token = await provider.token({ scope: "greet chat" });
    await unary(client, { name: "Ada" }, { metadata: bearer(token) });
    assert.equal(env.seen.length, 1);
    assert.deepEqual(env.seen[0].identity, {
      subject: provider.clientId,
      scopes: ["greet", "chat"],
      roles: [],
    });
    assert.equal(env.seen[0].claims?.iss, provider.issuer);
  });
  await t.step("health stays open without a token", async () => {
    const result = await healthCheck(env.server.port, env.server.pki.caCert, "");
    assert.equal(grpc.status[result.code], "OK", result.details);
    assert.equal(result.status, "SERVING");
  });
});

Deno.test("a policy naming health makes health need a token", async () => {
  await using env = await setup({ policyText: '{"rules": {"grpc.health.v1.Health": {}}}' });
  const result = await healthCheck(env.server.port, env.server.pki.caCert, "");
  assert.equal(grpc.status[result.code], "UNAUTHENTICATED");
  assert.equal(result.details, "missing bearer token");
});

Deno.test("keys rotated at the provider during a run are accepted without a restart", async () => {
  await using env = await setup();
  const { provider, client } = env;
  const before = await provider.token({ scope: "greet" });
  const ok = async (token: string) => {
    const result = await unary(client, { name: "Ada" }, { metadata: bearer(token) });
    assert.equal(grpc.status[result.code], "OK", result.details);
  };
  await ok(before);
  await provider.rotate("RS256");
  const after = await provider.token({ scope: "greet" });
  await ok(after);
  await ok(before); // both keys published: both accepted
});

Deno.test("with the provider down, an unknown key ends UNAUTHENTICATED before the deadline", async () => {
  await using env = await setup();
  const { provider, client } = env;
  await provider.rotate();
  const unseen = await provider.token({ scope: "greet" });
  await provider.setMode("hang");
  const started = performance.now();
  const result = await unary(client, { name: "Ada" }, {
    metadata: bearer(unseen),
    deadlineMs: 3000,
  });
  assert.equal(grpc.status[result.code], "UNAUTHENTICATED", result.details);
  assert.equal(result.details, "token signing key unknown");
  assert.ok(performance.now() - started < 2000);
  await provider.setMode("up");
});
