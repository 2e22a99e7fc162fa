import assert from "node:assert/strict";
import { ConfigError, loadClientConfig } from "../lib/client/config.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const SECRET = "s".repeat(32);

/** An in-memory file system: path -> content. */
function files(entries: Record<string, string>) {
  return (path: string): string => {
    if (path in entries) return entries[path];
    throw new Deno.errors.NotFound(path);
  };
}

const DEV = {
  devCertsDir: "/dev-certs",
  devSecretFile: "/dev-state/jwt-secret",
};
const FS = files({
  "/dev-certs/ca.pem": CA,
  "/dev-state/jwt-secret": `${SECRET}\n`,
  "/other-ca.pem": CA,
  "/client.pem": CA,
  "/client.key.pem": KEY,
  "/not-pem.txt": "hello",
  "/short-secret": "short",
  "/token.jwt": "aaa.bbb.ccc\n",
});
const load = (args: string[], env: Record<string, string> = {}, fs = FS) =>
  loadClientConfig(args, env, { readTextFile: fs, ...DEV });

Deno.test("client config with no settings dials the default target over TLS with the dev CA and mints tokens", () => {
  const config = load([]);
  assert.equal(config.command, "scenarios");
  assert.equal(config.target, "127.0.0.1:50051");
  assert.equal(config.tls?.ca, CA);
  assert.equal(config.tls?.caPath, "/dev-certs/ca.pem");
  assert.deepEqual(config.token, { kind: "mint" });
  assert.equal(new TextDecoder().decode(config.secret), SECRET, "the secret file is trimmed");
  assert.equal(config.deadlineMs, 5000);
  assert.equal(config.subject, "greeter-client");
  assert.ok(Object.isFrozen(config));
});

Deno.test("client config flags win over environment variables", () => {
  const config = load(
    ["basic", "--target", "flag.example:1", "--deadline=250", "--sub", "bob"],
    { GREETER_TARGET: "env.example:2", GREETER_DEADLINE_MS: "999", GREETER_SUBJECT: "eve" },
  );
  assert.equal(config.command, "basic");
  assert.equal(config.target, "flag.example:1");
  assert.equal(config.deadlineMs, 250);
  assert.equal(config.subject, "bob");
});

Deno.test("client config reads each setting from the environment when no flag is given", () => {
  const config = load([], {
    GREETER_TARGET: "[::1]:7000",
    GREETER_TLS_CA: "/other-ca.pem",
    GREETER_TLS_CLIENT_CERT: "/client.pem",
    GREETER_TLS_CLIENT_KEY: "/client.key.pem",
    GREETER_TOKEN_FILE: "/token.jwt",
  });
  assert.equal(config.host, "[::1]");
  assert.equal(config.port, 7000);
  assert.equal(config.tls?.caPath, "/other-ca.pem");
  assert.equal(config.tls?.key, KEY);
  assert.deepEqual(config.token, { kind: "file", path: "/token.jwt", token: "aaa.bbb.ccc" });
});

Deno.test("client config --insecure means plaintext and needs no CA file", () => {
  const config = load(["--insecure"], {}, files({}));
  assert.equal(config.tls, null);
  assert.equal(config.allowTokenOverPlaintext, false);
  assert.equal(config.token.kind, "none");
});

Deno.test("client config lists and switches parse", () => {
  const config = load(["--only", "a, b,", "--skip=c", "--json", "--junit", "out.xml", "--verbose"]);
  assert.deepEqual(config.only, ["a", "b"]);
  assert.deepEqual(config.skip, ["c"]);
  assert.equal(config.json, true);
  assert.equal(config.junitFile, "out.xml");
  assert.equal(config.verbose, true);
});

const BAD: { name: string; args: string[]; env?: Record<string, string>; message: RegExp }[] = [
  { name: "an unknown flag", args: ["--frobnicate"], message: /^unknown flag --frobnicate/ },
  { name: "an unknown command", args: ["dance"], message: /^unexpected argument "dance"/ },
  { name: "a flag without its value", args: ["--target"], message: /^--target needs a value$/ },
  {
    name: "a target without a port",
    args: ["--target", "localhost"],
    message: /^--target must be host:port/,
  },
  {
    name: "a port out of range",
    args: ["--target", "h:70000"],
    message: /port must be 1-65535, got "70000"/,
  },
  {
    name: "a port that is not a number",
    args: ["--target", "h:http"],
    message: /port must be 1-65535/,
  },
  {
    name: "a missing CA file",
    args: ["--ca", "/nope.pem"],
    message: /^--ca: file not found: \/nope\.pem$/,
  },
  {
    name: "a CA file that is not PEM",
    args: ["--ca", "/not-pem.txt"],
    message: /is not a PEM certificate/,
  },
  {
    name: "a client cert without its key",
    args: ["--cert", "/client.pem"],
    message: /must be given together/,
  },
  {
    name: "a CA with --insecure",
    args: ["--insecure", "--ca", "/other-ca.pem"],
    message: /--ca cannot be combined with --insecure/,
  },
  {
    name: "a secret under 32 bytes",
    args: [],
    env: { GREETER_JWT_SECRET: "too-short" },
    message: /^JWT secret from GREETER_JWT_SECRET is 9 bytes; at least 32 are required$/,
  },
  {
    name: "a secret file under 32 bytes",
    args: [],
    env: { GREETER_JWT_SECRET_FILE: "/short-secret" },
    message: /is 5 bytes; at least 32/,
  },
  {
    name: "a zero deadline",
    args: ["--deadline", "0"],
    message: /^--deadline must be a positive whole number/,
  },
  {
    name: "a fractional ttl",
    args: ["--ttl", "1.5"],
    message: /^--ttl must be a positive whole number/,
  },
  {
    name: "a token that is not a JWT",
    args: ["--token", "abc"],
    message: /^--token is not a compact JWT/,
  },
  {
    name: "both a token and a token file",
    args: ["--token", "a.b.c", "--token-file", "/token.jwt"],
    message: /exclusive/,
  },
  {
    name: "a missing token file",
    args: ["--token-file", "/missing.jwt"],
    message: /file not found/,
  },
  { name: "a boolean flag with a value", args: ["--json=yes"], message: /^--json takes no value$/ },
];

for (const c of BAD) {
  Deno.test(`client config rejects ${c.name} with a one-line ConfigError`, () => {
    assert.throws(() => load(c.args, c.env ?? {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
      assert.match(error.message, c.message);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  });
}

Deno.test("client config refuses the token command when there is no secret", () => {
  assert.throws(
    () => load(["token"], {}, files({ "/dev-certs/ca.pem": CA })),
    /token: no JWT secret/,
  );
});

Deno.test("client config a missing default CA names the fix", () => {
  assert.throws(() => load([], {}, files({})), /deno task certs/);
});
