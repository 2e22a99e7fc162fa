/**
 * The serve boundary: configuration mistakes (here, an address already in
 * use) become one-line `ConfigError`s; any other failure is a bug and comes
 * out as it is, stack and all. Real TLS servers on port 0.
 *
 * @module
 */
import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { ConfigError } from "../../lib/cli/config_error.ts";
import { loadServerConfig } from "../../lib/server/config.ts";
import { serveFromConfig } from "../../lib/server/serve_from_config.ts";
import { generateDevPki } from "../../lib/shared/dev_certs.ts";
import * as grpc from "@grpc/grpc-js";
import { describeServed } from "../../lib/server/serve_from_config.ts";
import { unary } from "../_helpers/calls.ts";
import { recordLogs, renderMessage } from "../_helpers/record_logs.ts";
import { createTestClient } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";
import { startOidcProvider } from "../fixtures/oidc_provider.ts";

const SECRET = "serve-from-config-test-secret-0123456789";
const logger = getLogger(["greeter-test", "serve"]);

/** A config serving TLS + JWT on `port` from certificate files in a temporary directory. */
async function tlsConfig(dir: string, port: number) {
  const pki = await generateDevPki();
  await Deno.writeTextFile(`${dir}/cert.pem`, pki.serverCert);
  await Deno.writeTextFile(`${dir}/key.pem`, pki.serverKey);
  return loadServerConfig(
    // Admin on port 0 too: a server someone runs on this machine may hold the default port.
    [
      "--port",
      String(port),
      "--admin-port",
      "0",
      "--tls-cert",
      `${dir}/cert.pem`,
      "--tls-key",
      `${dir}/key.pem`,
    ],
    { GREETER_JWT_SECRET: SECRET },
  );
}

Deno.test("serveFromConfig starts a TLS server with JWT auth from a config on port 0", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { server, material } = await serveFromConfig(await tlsConfig(dir, 0), logger);
    await using _server = server;
    assert.ok(server.port > 0);
    assert.notEqual(material.tls, null);
    assert.notEqual(material.auth, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveFromConfig turns an address already in use into a one-line ConfigError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await serveFromConfig(await tlsConfig(dir, 0), logger);
    await using _first = first.server;
    await assert.rejects(
      serveFromConfig(await tlsConfig(dir, first.server.port), logger),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
        assert.match(
          error.message,
          new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${first.server.port}`),
        );
        assert.ok(!error.message.includes("\n"), "one line");
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const BUGS: { name: string; error: Error }[] = [
  { name: "a TypeError", error: new TypeError("cannot read properties of undefined") },
  { name: "a plain Error", error: new Error("grpc-js refused the options") },
];

for (const bug of BUGS) {
  Deno.test(`serveFromConfig rethrows ${bug.name} from the server start unchanged, stack and all`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await assert.rejects(
        serveFromConfig(await tlsConfig(dir, 0), logger, {
          start: () => Promise.reject(bug.error),
        }),
        (error: unknown) => {
          assert.equal(error, bug.error, "the very same error, not a ConfigError");
          assert.ok(!(error instanceof ConfigError));
          assert.ok((error as Error).stack?.includes("serve_from_config_test.ts"));
          return true;
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** TLS files and a policy in `dir`, and the config naming them with `env` on top. */
async function identityConfig(dir: string, env: Record<string, string>) {
  // Not named like a development CA, so production accepts it.
  const pki = await generateDevPki({ caCommonName: "Example Corp Issuing CA" });
  await Deno.writeTextFile(`${dir}/cert.pem`, pki.serverCert);
  await Deno.writeTextFile(`${dir}/key.pem`, pki.serverKey);
  await Deno.writeTextFile(
    `${dir}/policy.yaml`,
    "rules:\n  helloworld.Greeter:\n    scopes: [greet]\n",
  );
  const config = loadServerConfig(
    [
      "--port",
      "0",
      "--admin-port",
      "0",
      "--tls-cert",
      `${dir}/cert.pem`,
      "--tls-key",
      `${dir}/key.pem`,
    ],
    {
      GREETER_AUTHZ_FILE: `${dir}/policy.yaml`,
      GREETER_JWT_AUDIENCE: "urn:greeter:test",
      GREETER_JWKS_MIN_REFRESH: "0",
      GREETER_JWKS_TIMEOUT: "500ms",
      ...env,
    },
  );
  return { config, caCert: pki.caCert };
}

async function sayHello(port: number, caCert: string, token: string) {
  using client = createTestClient(port, caCert);
  return await unary(client, { name: "Ada" }, { metadata: bearer(token), deadlineMs: 5000 });
}

Deno.test("serveFromConfig verifies provider tokens and applies the policy file", async (t) => {
  await using provider = await startOidcProvider();
  const dir = await Deno.makeTempDir();
  try {
    const { config, caCert } = await identityConfig(dir, { GREETER_OIDC_ISSUER: provider.issuer });
    const served = await serveFromConfig(config, logger);
    await using server = served.server;
    assert.match(describeServed(served).auth, /OIDC issuer http:\/\/127\.0\.0\.1/);
    const cases: [string, string | undefined, string, string][] = [
      ["a token with the greet scope", "greet", "OK", ""],
      ["a token without scopes", undefined, "PERMISSION_DENIED", 'missing scope "greet"'],
    ];
    for (const [name, scope, code, details] of cases) {
      await t.step(`${name} ends ${code}`, async () => {
        const token = await provider.token(scope === undefined ? {} : { scope });
        const result = await sayHello(server.port, caCert, token);
        assert.equal(grpc.status[result.code], code, result.details);
        if (code !== "OK") assert.equal(result.details, details);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("production refuses to start, in one line, when the issuer cannot be discovered", async () => {
  await using provider = await startOidcProvider();
  await provider.setMode("error");
  const dir = await Deno.makeTempDir();
  try {
    const { config } = await identityConfig(dir, {
      GREETER_ENV: "production",
      GREETER_OIDC_ISSUER: provider.issuer,
    });
    await assert.rejects(serveFromConfig(config, logger), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(
        error.message,
        /^GREETER_OIDC_ISSUER: cannot load keys from OIDC issuer .*HTTP 503/,
      );
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("development starts without the provider, says so, and accepts tokens once it answers", async () => {
  await using provider = await startOidcProvider();
  const token = await provider.token({ scope: "greet" });
  await provider.setMode("error");
  const dir = await Deno.makeTempDir();
  const logs = await recordLogs();
  try {
    const { config, caCert } = await identityConfig(dir, { GREETER_OIDC_ISSUER: provider.issuer });
    const served = await serveFromConfig(config, getLogger(["greeter", "server"]), {
      keyRetryMs: 200,
    });
    await using server = served.server;
    const early = await sayHello(server.port, caCert, token);
    assert.equal(grpc.status[early.code], "UNAUTHENTICATED");
    assert.equal(early.details, "token signing keys unavailable");
    assert.ok(
      logs.records.some((r) => /retrying in 0\.2 s \(development/.test(renderMessage(r))),
      "the retry is in the log",
    );
    await provider.setMode("up");
    let code = early.code;
    for (let i = 0; i < 50 && code !== grpc.status.OK; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      code = (await sayHello(server.port, caCert, token)).code;
    }
    assert.equal(grpc.status[code], "OK", "the keys loaded once the provider answered");
  } finally {
    await logs[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
