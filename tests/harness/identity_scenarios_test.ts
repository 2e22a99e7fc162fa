/**
 * The identity scenarios against a real Greeter server that verifies tokens
 * from a real OpenID Provider (npm `oidc-provider` on Node.js) with a policy
 * requiring `greet` for `SayHello`: every scenario passes with the provider's
 * keys, the key-holding ones skip with a reason when the harness has only
 * client credentials, a rotation between runs needs no restart, and a server
 * without the policy fails the scope scenario.
 */
import assert from "node:assert/strict";
import { parseAuthzPolicy } from "../../lib/auth/authz_policy.ts";
import { oidcKeySource } from "../../lib/auth/jwks.ts";
import { clientCredentialsTokenSource } from "../../lib/client/oauth_token_provider.ts";
import { createTokenProvider } from "../../lib/client/token_provider.ts";
import {
  type IdentityMaterial,
  loadIdentityMaterial,
} from "../../lib/harness/identity_material.ts";
import {
  createScenarioContext,
  runScenarios,
  runScenariosCommand,
} from "../../lib/harness/run_scenarios.ts";
import { loadClientConfig } from "../../lib/client/config.ts";
import { identityScenarios } from "../../lib/harness/scenarios/identity.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { type OidcProvider, startOidcProvider } from "../fixtures/oidc_provider.ts";

const AUDIENCE = "urn:greeter:test";
const GREET_POLICY = parseAuthzPolicy('{"rules": {"helloworld.Greeter": {"scopes": ["greet"]}}}');

async function serverFor(provider: OidcProvider, withPolicy = true) {
  const keys = oidcKeySource({
    issuer: provider.issuer,
    refreshIntervalMs: 0,
    minRefreshIntervalMs: 0,
  });
  const server = await startTestServer({
    auth: {
      keys,
      issuer: provider.issuer,
      audience: AUDIENCE,
      ...(withPolicy ? { policy: GREET_POLICY } : {}),
    },
  });
  return {
    server,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      keys.close();
    },
  };
}

async function run(
  provider: OidcProvider,
  port: number,
  caCert: string,
  options: { privateKeys: boolean },
) {
  const source = clientCredentialsTokenSource({
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    audience: AUDIENCE,
  });
  const identity: IdentityMaterial = await loadIdentityMaterial({
    issuer: provider.issuer,
    requiredScope: "greet",
    requestToken: (scope) =>
      provider.token({ ...(scope === "" ? {} : { scope }), resource: AUDIENCE }),
    ...(options.privateKeys
      ? { privateKeys: JSON.stringify({ keys: await provider.privateKeys() }) }
      : {}),
  });
  await using ctx = createScenarioContext({
    target: `localhost:${port}`,
    tls: { ca: caCert },
    tokenProvider: createTokenProvider({ source }),
    issuer: provider.issuer,
    audience: AUDIENCE,
    identity,
  });
  try {
    const report = await runScenarios(identityScenarios(), ctx);
    return new Map(report.results.map((r) => [r.name, r]));
  } finally {
    source.close();
  }
}

Deno.test("every identity scenario passes when the harness holds the provider's keys", async (t) => {
  await using provider = await startOidcProvider();
  // Key history: k1 retired, k2 and k3 published (a rotation under way).
  await provider.rotate();
  await provider.retire();
  await provider.rotate();
  await using env = await serverFor(provider);
  const results = await run(provider, env.server.port, env.server.pki.caCert, {
    privateKeys: true,
  });
  for (const scenario of identityScenarios()) {
    await t.step(`${scenario.name} passes`, () => {
      const result = results.get(scenario.name)!;
      assert.equal(result.verdict, "PASS", `${result.got}: ${result.detail}`);
      assert.equal(result.got, scenario.expected);
    });
  }
});

Deno.test("with only client credentials, key-holding scenarios skip with the reason", async (t) => {
  await using provider = await startOidcProvider();
  await using env = await serverFor(provider);
  const results = await run(provider, env.server.port, env.server.pki.caCert, {
    privateKeys: false,
  });
  const expected: [string, "PASS" | "SKIP", RegExp?][] = [
    ["identity-other-issuer", "SKIP", /only client credentials were given/],
    ["identity-unknown-kid", "PASS"],
    ["identity-key-removed", "SKIP", /no longer publishes/],
    ["identity-expired", "SKIP", /only client credentials were given/],
    ["identity-wrong-audience", "SKIP", /only client credentials were given/],
    ["identity-hs256-with-public-key", "PASS"],
    ["identity-missing-scope", "PASS"],
    ["identity-right-scope", "PASS"],
    ["identity-every-published-key-accepted", "SKIP", /two published private keys/],
  ];
  for (const [name, verdict, reason] of expected) {
    await t.step(`${name} is ${verdict === "SKIP" ? "skipped" : "run and passes"}`, () => {
      const result = results.get(name)!;
      assert.equal(result.verdict, verdict, `${result.got}: ${result.detail}`);
      if (reason !== undefined) assert.match(result.detail ?? "", reason);
    });
  }
});

Deno.test("a rotation at the provider between two runs needs no server restart", async () => {
  await using provider = await startOidcProvider();
  await using env = await serverFor(provider);
  const first = await run(provider, env.server.port, env.server.pki.caCert, { privateKeys: true });
  assert.equal(first.get("identity-right-scope")!.verdict, "PASS");
  await provider.rotate("RS256");
  const second = await run(provider, env.server.port, env.server.pki.caCert, {
    privateKeys: true,
  });
  for (const name of ["identity-right-scope", "identity-every-published-key-accepted"]) {
    const result = second.get(name)!;
    assert.equal(result.verdict, "PASS", `${name}: ${result.got}: ${result.detail}`);
  }
});

Deno.test("a server without the scope policy fails the missing-scope scenario", async () => {
  await using provider = await startOidcProvider();
  await using env = await serverFor(provider, false);
  const results = await run(provider, env.server.port, env.server.pki.caCert, {
    privateKeys: false,
  });
  const result = results.get("identity-missing-scope")!;
  assert.equal(result.verdict, "FAIL");
  assert.equal(result.got, "OK");
});

Deno.test("the client's scenarios command gets tokens by client credentials and runs the identity group", async () => {
  await using provider = await startOidcProvider();
  // Key history: one retired, two published.
  await provider.rotate();
  await provider.retire();
  await provider.rotate();
  await using env = await serverFor(provider);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, env.server.pki.caCert);
    await Deno.writeTextFile(
      `${dir}/provider-keys.json`,
      JSON.stringify({ keys: await provider.privateKeys() }),
    );
    const config = loadClientConfig([
      "scenarios",
      "--target",
      `localhost:${env.server.port}`,
      "--ca",
      `${dir}/ca.pem`,
      "--json",
      "--only",
      [
        "unary-valid-token",
        "bidi-ping-pong-valid-token",
        ...identityScenarios().map((s) => s.name),
      ].join(","),
    ], {
      GREETER_OIDC_ISSUER: provider.issuer,
      GREETER_OAUTH_CLIENT_ID: provider.clientId,
      GREETER_OAUTH_CLIENT_SECRET: provider.clientSecret,
      GREETER_OAUTH_SCOPE: "greet",
      GREETER_OAUTH_AUDIENCE: AUDIENCE,
      GREETER_JWT_AUDIENCE: AUDIENCE,
      GREETER_HARNESS_PROVIDER_KEYS: `${dir}/provider-keys.json`,
      GREETER_HARNESS_REQUIRED_SCOPE: "greet",
    });
    let stdout = "";
    const code = await runScenariosCommand(config, {
      stdout: (text) => stdout += text,
      stderr: () => {},
      writeTextFile: () => Promise.resolve(),
    });
    const report = JSON.parse(stdout);
    const notPassed = report.results.filter((r: { verdict: string }) => r.verdict !== "PASS");
    assert.deepEqual(notPassed, [], "every selected scenario passes");
    assert.equal(report.results.length, 2 + identityScenarios().length);
    assert.equal(code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
