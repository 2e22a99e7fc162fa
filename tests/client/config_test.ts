import assert from "node:assert/strict";
import { ConfigError } from "../../lib/cli/config_error.ts";
import { flagSyntax } from "../../lib/cli/settings.ts";
import {
  CLIENT_ENV_VARS,
  CLIENT_SETTINGS,
  CLIENT_USAGE,
  loadClientConfig,
  readClientEnv,
} from "../../lib/client/config.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const SECRET = "s".repeat(32);

/** An in-memory file system (path -> text or bytes), with a text and a byte reader. */
function files(entries: Record<string, string | Uint8Array>) {
  const get = (path: string): string | Uint8Array => {
    if (path in entries) return entries[path];
    throw new Deno.errors.NotFound(path);
  };
  return {
    readTextFile: (path: string): string => {
      const content = get(path);
      return typeof content === "string" ? content : new TextDecoder().decode(content);
    },
    readFile: (path: string): Uint8Array => {
      const content = get(path);
      return typeof content === "string" ? new TextEncoder().encode(content) : content;
    },
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
  "/short-secret-with-newline": `${"s".repeat(31)}\n`,
  "/token.jwt": "aaa.bbb.ccc\n",
});
const load = (args: string[], env: Record<string, string | undefined> = {}, fs = FS) =>
  loadClientConfig(args, env, { ...fs, ...DEV });

Deno.test("client config with no settings dials the default target over TLS with the dev CA and mints tokens", () => {
  const config = load([]);
  assert.equal(config.command, "scenarios");
  assert.equal(config.target, "127.0.0.1:50051");
  assert.equal(config.tls?.ca, CA);
  assert.equal(config.tls?.caPath, "/dev-certs/ca.pem");
  assert.deepEqual(config.token, { kind: "mint" });
  assert.equal(new TextDecoder().decode(config.secret), SECRET, "the trailing newline is dropped");
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
    name: "a secret file whose 32 bytes include its trailing newline",
    args: [],
    env: { GREETER_JWT_SECRET_FILE: "/short-secret-with-newline" },
    message: /is 31 bytes; at least 32/,
  },
  {
    name: "--list with a command other than scenarios",
    args: ["basic", "--list"],
    message: /^--list lists the scenarios; it cannot be combined with basic$/,
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
  {
    name: "a switch with a value other than true or false",
    args: ["--json=yes"],
    message: /^--json takes no value or =true \/ =false, got "yes"$/,
  },
  {
    name: "a switch from the environment that is not a boolean, naming flag and variable",
    args: [],
    env: { GREETER_INSECURE: "perhaps" },
    message:
      /^GREETER_INSECURE must be true or false, got "perhaps" \(flag --insecure, env GREETER_INSECURE\)$/,
  },
  {
    name: "a deadline from the environment that is not a number, naming it",
    args: [],
    env: { GREETER_DEADLINE_MS: "5s" },
    message: /^GREETER_DEADLINE_MS must be a positive whole number, got "5s"/,
  },
  {
    name: "a near-miss flag, suggesting the right one",
    args: ["--targt", "h:1"],
    message: /^unknown flag --targt \(see --help\); did you mean --target\?$/,
  },
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

/** 32 bytes that are not valid UTF-8, starting with a space: a text read would corrupt them. */
const BINARY_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i === 0 ? 0x20 : 0x80 + i * 3);

const SECRET_FILES: {
  name: string;
  content: string | Uint8Array;
  expected: Uint8Array;
}[] = [
  {
    name: "a 32-byte binary secret with bytes from 0x80 and a leading space round-trips exactly",
    content: BINARY_SECRET,
    expected: BINARY_SECRET,
  },
  {
    name: "a binary secret loses only its one trailing newline",
    content: Uint8Array.from([...BINARY_SECRET, 0x0a]),
    expected: BINARY_SECRET,
  },
  {
    name: "a text secret ending in a newline loses only the newline",
    content: `${SECRET}\n`,
    expected: new TextEncoder().encode(SECRET),
  },
  {
    name: "a text secret ending in CRLF loses only the CRLF",
    content: `${SECRET}\r\n`,
    expected: new TextEncoder().encode(SECRET),
  },
  {
    name: "a text secret keeps its surrounding spaces and all but one trailing newline",
    content: `  ${SECRET} \n\n`,
    expected: new TextEncoder().encode(`  ${SECRET} \n`),
  },
];

for (const c of SECRET_FILES) {
  for (
    const [source, env] of [
      ["GREETER_JWT_SECRET_FILE", { GREETER_JWT_SECRET_FILE: "/secret.bin" }],
      ["the development secret file", {}],
    ] as const
  ) {
    Deno.test(`client config: ${c.name}, read from ${source}`, () => {
      const fs = files({
        "/dev-certs/ca.pem": CA,
        "/secret.bin": c.content,
        "/dev-state/jwt-secret": c.content,
      });
      const config = load([], env, fs);
      assert.deepEqual(config.secret, c.expected);
      assert.deepEqual(config.token, { kind: "mint" });
    });
  }
}

Deno.test("client config --list asks for the scenario list", () => {
  assert.equal(load(["--list"]).list, true);
  assert.equal(load([]).list, false);
});

Deno.test("readClientEnv returns exactly the client's variables, set or not", () => {
  const saved = {
    target: Deno.env.get("GREETER_TARGET"),
    other: Deno.env.get("GREETER_NOT_A_SETTING"),
  };
  Deno.env.set("GREETER_TARGET", "env.example:9");
  Deno.env.set("GREETER_NOT_A_SETTING", "x");
  try {
    const env = readClientEnv();
    assert.deepEqual(Object.keys(env).sort(), [...CLIENT_ENV_VARS].sort());
    assert.equal(env.GREETER_TARGET, "env.example:9");
    assert.ok(!("GREETER_NOT_A_SETTING" in env), "only the listed variables are read");
    assert.equal(load([], env).target, "env.example:9");
  } finally {
    for (
      const [name, value] of [["GREETER_TARGET", saved.target], [
        "GREETER_NOT_A_SETTING",
        saved.other,
      ]]
    ) {
      if (value === undefined) Deno.env.delete(name!);
      else Deno.env.set(name!, value);
    }
  }
});

for (const flag of ["--help", "--list"]) {
  Deno.test(`client config answers ${flag} before any development certificate exists`, () => {
    const config = loadClientConfig([flag], {}, {
      devCertsDir: "/nonexistent/certs",
      devSecretFile: "/nonexistent/jwt-secret",
    });
    assert.equal(flag === "--help" ? config.help : config.list, true);
    assert.equal(config.tls, null, "nothing was read");
  });
}

const SWITCHES: { name: string; args: string[]; env?: Record<string, string>; expect: object }[] = [
  { name: "--insecure=true is plaintext", args: ["--insecure=true"], expect: { insecure: true } },
  {
    name: "--insecure=false keeps TLS even when GREETER_INSECURE says otherwise",
    args: ["--insecure=false"],
    env: { GREETER_INSECURE: "1" },
    expect: { insecure: false },
  },
  {
    name: "GREETER_INSECURE=yes is plaintext",
    args: [],
    env: { GREETER_INSECURE: "yes" },
    expect: { insecure: true },
  },
  { name: "--json=true prints JSON", args: ["--json=true"], expect: { json: true } },
  { name: "--verbose=false is quiet", args: ["--verbose=false"], expect: { verbose: false } },
  { name: "-h asks for help", args: ["-h"], expect: { help: true } },
];

for (const c of SWITCHES) {
  Deno.test(`client config switches: ${c.name}`, () => {
    const config = load(c.args, c.env ?? {});
    const actual = {
      insecure: config.tls === null,
      json: config.json,
      verbose: config.verbose,
      help: config.help,
    };
    for (const [key, value] of Object.entries(c.expect)) {
      assert.equal(actual[key as keyof typeof actual], value, key);
    }
  });
}

Deno.test("client config takes --flag=value and --flag value alike", () => {
  const spaced = load(["basic", "--target", "h:1", "--deadline", "9", "--name", "ann"]);
  const joined = load(["basic", "--target=h:1", "--deadline=9", "--name=ann"]);
  assert.deepEqual(joined, spaced);
  assert.equal(joined.deadlineMs, 9);
});

Deno.test("client config passes bench flags through in order, --json FILE included", () => {
  const args = ["--json", "out.json", "--pattern", "unary", "--duration", "4s", "--only", "x"];
  const config = load(["bench", "--deadline", "100", ...args]);
  assert.equal(config.command, "bench");
  assert.equal(config.deadlineMs, 100, "the client's own flags are still read");
  assert.equal(config.json, false, "the bench's --json is not the scenarios' switch");
  assert.deepEqual(config.rest, args);
});

Deno.test("client --help lists every setting with its flag and variable", () => {
  for (const setting of Object.values(CLIENT_SETTINGS)) {
    assert.ok(CLIENT_USAGE.includes(flagSyntax(setting)), `help lacks ${flagSyntax(setting)}`);
    if ("env" in setting) {
      assert.ok(CLIENT_USAGE.includes(setting.env), `help lacks ${setting.env}`);
    }
  }
});

Deno.test("every client variable is allowed by the client permission set in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const allowed: string[] = config.permissions.client.env;
  for (const name of CLIENT_ENV_VARS) {
    assert.ok(
      allowed.some((pattern) =>
        pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name
      ),
      `-P=client does not allow ${name}`,
    );
  }
});

const ISSUER = "https://id.example.com";
const OAUTH_FS = files({
  "/dev-certs/ca.pem": CA,
  "/dev-state/jwt-secret": `${SECRET}\n`,
  "/run/client-secret": "from-a-file\n",
  "/run/provider-keys.json": '{"keys": []}',
});

Deno.test("client config reads a client credentials grant and the provider for the harness", async (t) => {
  await t.step(
    "an issuer, id and secret file make the token source oauth, before the dev secret",
    () => {
      const config = load(["--oauth-scope", "greet admin", "--required-scope", "greet"], {
        GREETER_OIDC_ISSUER: ISSUER,
        GREETER_OAUTH_CLIENT_ID: "svc",
        GREETER_OAUTH_CLIENT_SECRET_FILE: "/run/client-secret",
        GREETER_OAUTH_AUDIENCE: "urn:greeter",
        GREETER_HARNESS_PROVIDER_KEYS: "/run/provider-keys.json",
      }, OAUTH_FS);
      assert.deepEqual(config.token, {
        kind: "oauth",
        oauth: {
          clientId: "svc",
          clientSecret: "from-a-file",
          issuer: ISSUER,
          scope: "greet admin",
          audience: "urn:greeter",
        },
      });
      assert.deepEqual(config.identity, {
        issuer: ISSUER,
        providerKeys: '{"keys": []}',
        requiredScope: "greet",
      });
      assert.equal(config.issuer, ISSUER, "scenarios expect the issuer's iss");
    },
  );
  await t.step("a token URL replaces discovery", () => {
    const config = load([], {
      GREETER_OAUTH_TOKEN_URL: "http://127.0.0.1:9000/token",
      GREETER_OAUTH_CLIENT_ID: "svc",
      GREETER_OAUTH_CLIENT_SECRET: "s3cret",
    }, OAUTH_FS);
    assert.equal(
      config.token.kind === "oauth" && config.token.oauth.tokenUrl,
      "http://127.0.0.1:9000/token",
    );
    assert.equal(config.identity, undefined);
  });
  await t.step("the token command works with client credentials and no JWT secret", () => {
    const config = load(["token"], {
      GREETER_OIDC_ISSUER: ISSUER,
      GREETER_OAUTH_CLIENT_ID: "svc",
      GREETER_OAUTH_CLIENT_SECRET: "s3cret",
    }, files({ "/dev-certs/ca.pem": CA }));
    assert.equal(config.token.kind, "oauth");
  });
});

const OAUTH_MISTAKES: [string, string[], Record<string, string>, RegExp][] = [
  ["a client id without a secret", [], {
    GREETER_OIDC_ISSUER: ISSUER,
    GREETER_OAUTH_CLIENT_ID: "svc",
  }, /GREETER_OAUTH_CLIENT_ID needs a client secret/],
  ["a client id without an endpoint", [], {
    GREETER_OAUTH_CLIENT_ID: "svc",
    GREETER_OAUTH_CLIENT_SECRET: "x",
  }, /needs a token endpoint: set GREETER_OAUTH_TOKEN_URL or GREETER_OIDC_ISSUER/],
  ["a secret and a secret file", [], {
    GREETER_OIDC_ISSUER: ISSUER,
    GREETER_OAUTH_CLIENT_ID: "svc",
    GREETER_OAUTH_CLIENT_SECRET: "x",
    GREETER_OAUTH_CLIENT_SECRET_FILE: "/run/client-secret",
  }, /both set: give one/],
  [
    "a scope without a client id",
    ["--oauth-scope", "greet"],
    {},
    /--oauth-scope is set but GREETER_OAUTH_CLIENT_ID is not/,
  ],
  ["an http token URL off loopback", [], {
    GREETER_OAUTH_TOKEN_URL: "http://id.example.com/token",
    GREETER_OAUTH_CLIENT_ID: "svc",
    GREETER_OAUTH_CLIENT_SECRET: "x",
  }, /GREETER_OAUTH_TOKEN_URL must use https/],
  [
    "provider keys without a provider",
    ["--provider-keys", "/run/provider-keys.json"],
    {},
    /--provider-keys needs GREETER_OIDC_ISSUER or GREETER_JWT_JWKS_URL/,
  ],
];

Deno.test("client config refuses client credentials mistakes with one line", async (t) => {
  for (const [name, args, env, message] of OAUTH_MISTAKES) {
    await t.step(`${name} is refused`, () => {
      assert.throws(() => load(args, env, OAUTH_FS), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
