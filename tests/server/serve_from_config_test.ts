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

const SECRET = "serve-from-config-test-secret-0123456789";
const logger = getLogger(["greeter-test", "serve"]);

/** A config serving TLS + JWT on `port` from certificate files in a temporary directory. */
async function tlsConfig(dir: string, port: number) {
  const pki = await generateDevPki();
  await Deno.writeTextFile(`${dir}/cert.pem`, pki.serverCert);
  await Deno.writeTextFile(`${dir}/key.pem`, pki.serverKey);
  return loadServerConfig(
    ["--port", String(port), "--tls-cert", `${dir}/cert.pem`, "--tls-key", `${dir}/key.pem`],
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
