import assert from "node:assert/strict";
import { ConfigError, loadServerConfig } from "../../lib/server/config.ts";

const SECRET = "s".repeat(32);

Deno.test("server config defaults serve TLS with auth on 127.0.0.1:50051 in development", () => {
  const config = loadServerConfig([], {});
  assert.equal(config.command, "serve");
  assert.equal(config.env, "development");
  assert.equal(config.basic, false);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 50051);
  assert.equal(config.jwt.issuer, "greeter");
  assert.equal(config.jwt.audience, "helloworld.Greeter");
  assert.equal(config.maxMessageBytes, 4 * 1024 * 1024);
  assert.equal(config.drainTimeoutMs, 10_000);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.jwt));
});

Deno.test("server config lets flags win over environment variables", () => {
  const config = loadServerConfig(["--port", "6000", "--log-format=json"], {
    GREETER_PORT: "5000",
    GREETER_LOG_FORMAT: "text",
    GREETER_HOST: "::1",
  });
  assert.equal(config.port, 6000);
  assert.equal(config.log.format, "json");
  assert.equal(config.host, "::1");
});

Deno.test("server config accepts a complete production setup", () => {
  const config = loadServerConfig(["--tls-cert", "c.pem", "--tls-key", "k.pem"], {
    GREETER_ENV: "production",
    GREETER_JWT_SECRET: SECRET,
  });
  assert.equal(config.env, "production");
  assert.equal(config.jwt.secret, SECRET);
  assert.deepEqual({ ...config.tls }, {
    certFile: "c.pem",
    keyFile: "k.pem",
    clientCaFile: undefined,
  });
});

const MISTAKES: [string, string[], Record<string, string>, RegExp][] = [
  ["an unknown flag", ["--prot", "1"], {}, /unknown flag --prot/],
  ["a stray argument", ["serve", "now"], {}, /unexpected argument "now"/],
  ["a flag without its value", ["--port"], {}, /--port needs a value/],
  ["a port out of range", ["--port", "65536"], {}, /--port must be a whole number from 0 to 65535/],
  [
    "a port from the environment that is not a number",
    [],
    { GREETER_PORT: "http" },
    /GREETER_PORT must be/,
  ],
  ["a certificate without its key", ["--tls-cert", "c.pem"], {}, /give both or neither/],
  ["a key without its certificate", [], { GREETER_TLS_KEY: "k.pem" }, /give both or neither/],
  ["a secret under 32 bytes", [], { GREETER_JWT_SECRET: "short" }, /5 bytes; at least 32/],
  ["a secret given twice", ["--jwt-secret-file", "f"], { GREETER_JWT_SECRET: SECRET }, /both set/],
  ["an unknown log level", [], { GREETER_LOG_LEVEL: "loud" }, /GREETER_LOG_LEVEL must be one of/],
  ["an unknown log format", ["--log-format", "xml"], {}, /--log-format must be one of text, json/],
  [
    "an unknown environment",
    [],
    { GREETER_ENV: "prod" },
    /GREETER_ENV must be one of development, production/,
  ],
  ["a blank issuer", ["--jwt-issuer", " "], {}, /--jwt-issuer must not be blank/],
  ["a clock skew over five minutes", ["--jwt-clock-skew", "301"], {}, /from 0 to 300/],
  ["a value on a boolean flag", ["--basic=yes"], {}, /--basic takes no value/],
  ["basic mode in production", ["--basic"], { GREETER_ENV: "production" }, /refused in production/],
  [
    "production without certificates",
    [],
    { GREETER_ENV: "production", GREETER_JWT_SECRET: SECRET },
    /real certificates/,
  ],
  [
    "production without an explicit secret",
    ["--tls-cert", "c", "--tls-key", "k"],
    { GREETER_ENV: "production" },
    /explicit JWT secret/,
  ],
];

for (const [mistake, args, env, message] of MISTAKES) {
  Deno.test(`server config refuses ${mistake} with one clear line`, () => {
    assert.throws(() => loadServerConfig(args, env), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
      assert.match(error.message, message);
      assert.ok(!error.message.includes("\n"), "message must be one line");
      return true;
    });
  });
}

Deno.test("server config refuses --basic combined with TLS settings", () => {
  assert.throws(
    () => loadServerConfig(["--basic", "--tls-cert", "c.pem", "--tls-key", "k.pem"], {}),
    /--basic serves plaintext without auth: it cannot be combined with TLS settings/,
  );
});
