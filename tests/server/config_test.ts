import assert from "node:assert/strict";
import { ConfigError } from "../../lib/cli/config_error.ts";
import { flagSyntax } from "../../lib/cli/settings.ts";
import {
  loadServerConfig,
  SERVER_ENV_NAMES,
  SERVER_SETTINGS,
  serverUsage,
} from "../../lib/server/config.ts";

const ROOT = new URL("../../", import.meta.url);

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
  assert.equal(config.shutdownDelayMs, 0);
  assert.equal(config.replyBufferBytes, 1024 * 1024);
  assert.equal(config.replyBufferTotalBytes, 64 * 1024 * 1024);
  assert.equal(config.replyStallMs, 30_000);
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

Deno.test("server config reads the shutdown delay from GREETER_SHUTDOWN_DELAY_MS or --shutdown-delay", () => {
  assert.equal(loadServerConfig([], { GREETER_SHUTDOWN_DELAY_MS: "5000" }).shutdownDelayMs, 5000);
  assert.equal(loadServerConfig(["--shutdown-delay", "250"], {}).shutdownDelayMs, 250);
  assert.throws(
    () => loadServerConfig([], { GREETER_SHUTDOWN_DELAY_MS: "-1" }),
    /^ConfigError: GREETER_SHUTDOWN_DELAY_MS must be a whole number from 0 to 600000/,
  );
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
  ["a value on a boolean flag", ["--basic=yes"], {}, /--basic takes no value or =true \/ =false/],
  [
    "a stream interval over a minute, naming flag and variable",
    ["--stream-interval", "60001"],
    {},
    /^--stream-interval must be a whole number from 0 to 60000, got "60001" \(flag --stream-interval, env GREETER_STREAM_INTERVAL_MS\)$/,
  ],
  [
    "a reply buffer under 16 KiB",
    ["--reply-buffer", "1000"],
    {},
    /^--reply-buffer must be a whole number from 16384 to 2147483647, got "1000" \(flag --reply-buffer, env GREETER_REPLY_BUFFER_BYTES\)$/,
  ],
  [
    "a reply stall time that is not a number",
    [],
    { GREETER_REPLY_STALL_MS: "30s" },
    /^GREETER_REPLY_STALL_MS must be a whole number from 0 to 3600000, got "30s"/,
  ],
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

const SWITCHES: { name: string; args: string[]; basic: boolean }[] = [
  { name: "--basic alone", args: ["--basic"], basic: true },
  { name: "--basic=true", args: ["--basic=true"], basic: true },
  { name: "--basic=false", args: ["--basic=false"], basic: false },
  { name: "no --basic", args: [], basic: false },
];

for (const c of SWITCHES) {
  Deno.test(`server config reads ${c.name} as basic ${c.basic ? "on" : "off"}`, () => {
    assert.equal(loadServerConfig(c.args, {}).basic, c.basic);
  });
}

Deno.test("server config takes --flag=value and --flag value alike", () => {
  const spaced = loadServerConfig(["--jwt-clock-skew", "7", "--host", "::1"], {});
  const joined = loadServerConfig(["--jwt-clock-skew=7", "--host=::1"], {});
  assert.deepEqual(joined, spaced);
  assert.equal(joined.jwt.clockToleranceSeconds, 7);
});

Deno.test("server config clock tolerance defaults to the shared default of 5 seconds", () => {
  assert.equal(loadServerConfig([], {}).jwt.clockToleranceSeconds, 5);
});

Deno.test("server --help lists every setting with its flag and variable", () => {
  const usage = serverUsage();
  for (const setting of Object.values(SERVER_SETTINGS)) {
    assert.ok(usage.includes(flagSyntax(setting)), `help lacks ${flagSyntax(setting)}`);
    if ("env" in setting) assert.ok(usage.includes(setting.env), `help lacks ${setting.env}`);
  }
});

Deno.test("server env names are the table's variables, the JWT secret included", () => {
  assert.ok(SERVER_ENV_NAMES.includes("GREETER_JWT_SECRET"));
  assert.equal(new Set(SERVER_ENV_NAMES).size, SERVER_ENV_NAMES.length, "no variable twice");
});

Deno.test("every server variable is allowed by the server and demo permission sets in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const set of ["server", "demo"]) {
    const allowed: string[] = config.permissions[set].env;
    for (const name of SERVER_ENV_NAMES) {
      assert.ok(
        allowed.some((pattern) =>
          pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name
        ),
        `-P=${set} does not allow ${name}`,
      );
    }
  }
});

Deno.test("server config turns the admin endpoint and reflection on by default, on loopback port 9464", () => {
  const config = loadServerConfig([], {});
  assert.deepEqual(config.admin, { host: "127.0.0.1", port: 9464 });
  assert.equal(config.reflection, "on");
});

Deno.test("server config reads the admin and reflection settings from flags and environment", () => {
  const config = loadServerConfig(["--admin-port", "0", "--reflection=auth"], {
    GREETER_ADMIN_HOST: "[::1]",
    GREETER_ADMIN_PORT: "9999",
  });
  assert.deepEqual(config.admin, { host: "::1", port: 0 });
  assert.equal(config.reflection, "auth");
  assert.equal(loadServerConfig([], { GREETER_ADMIN: "off" }).admin, null);
  assert.equal(loadServerConfig(["--reflection", "off"], {}).reflection, "off");
});

const adminMistakes: [string, string[], Record<string, string>, RegExp][] = [
  [
    "an admin port out of range",
    ["--admin-port", "70000"],
    {},
    /--admin-port must be a whole number/,
  ],
  ["an unknown admin switch", [], { GREETER_ADMIN: "maybe" }, /GREETER_ADMIN/],
  ["a blank admin host", ["--admin-host", " "], {}, /--admin-host/],
  ["an unknown reflection mode", [], { GREETER_REFLECTION: "public" }, /GREETER_REFLECTION/],
  ["an unknown trace sampler", [], { OTEL_TRACES_SAMPLER: "jaeger_remote" }, /OTEL_TRACES_SAMPLER/],
  ["a sampling ratio above 1", [], { OTEL_TRACES_SAMPLER_ARG: "1.5" }, /OTEL_TRACES_SAMPLER_ARG/],
  [
    "a sampling ratio that is no number",
    ["--trace-sampler-arg", "half"],
    {},
    /--trace-sampler-arg/,
  ],
];

Deno.test("server config reads the trace sampler the OpenTelemetry way, every span by default", () => {
  assert.deepEqual(loadServerConfig([], {}).traceSampler, {
    name: "parentbased_always_on",
    ratio: 1,
  });
  assert.deepEqual(
    loadServerConfig([], {
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    }).traceSampler,
    { name: "parentbased_traceidratio", ratio: 0.25 },
  );
  assert.deepEqual(
    loadServerConfig(["--trace-sampler", "always_off"], { OTEL_TRACES_SAMPLER: "always_on" })
      .traceSampler.name,
    "always_off",
  );
});
for (const [what, args, env, expected] of adminMistakes) {
  Deno.test(`server config refuses ${what}, naming the setting`, () => {
    assert.throws(() => loadServerConfig(args, env), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, expected);
      return true;
    });
  });
}
const ISSUER = "https://id.example.com";
const PROD_TLS = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];

Deno.test("server config reads each public-key source and its refresh settings", async (t) => {
  const cases: [string, string[], Record<string, string>, string, string][] = [
    ["an OIDC issuer", [], { GREETER_OIDC_ISSUER: ISSUER }, "oidc", ISSUER],
    [
      "a JWKS URL on loopback over http",
      ["--jwt-jwks-url", "http://127.0.0.1:8080/jwks"],
      {},
      "jwks",
      "http://127.0.0.1:8080/jwks",
    ],
    ["a public key file", [], { GREETER_JWT_PUBLIC_KEY_FILE: "keys.json" }, "file", "keys.json"],
  ];
  for (const [name, args, env, kind, location] of cases) {
    await t.step(`${name} becomes a ${kind} key source with no secret`, () => {
      const config = loadServerConfig(args, env);
      assert.equal(config.keys?.kind, kind);
      assert.equal(config.keys?.location, location);
      assert.equal(config.jwt.secret, undefined);
    });
  }
  await t.step("the issuer becomes the required iss, and durations read as ms", () => {
    const config = loadServerConfig(
      ["--jwks-timeout", "500ms", "--jwks-refresh", "2m", "--jwks-min-refresh", "0"],
      { GREETER_OIDC_ISSUER: ISSUER, GREETER_JWT_MAX_LIFETIME: "60m" },
    );
    assert.equal(config.jwt.issuer, ISSUER);
    assert.equal(config.jwt.maxLifetimeSeconds, 3600);
    assert.deepEqual(
      [
        config.keys?.fetchTimeoutMs,
        config.keys?.refreshIntervalMs,
        config.keys?.minRefreshIntervalMs,
      ],
      [500, 120_000, 0],
    );
  });
  await t.step("the lifetime defaults to one day", () => {
    assert.equal(loadServerConfig([], {}).jwt.maxLifetimeSeconds, 86_400);
  });
  await t.step("production accepts an issuer in place of a secret", () => {
    const config = loadServerConfig(PROD_TLS, {
      GREETER_ENV: "production",
      GREETER_OIDC_ISSUER: ISSUER,
    });
    assert.equal(config.keys?.kind, "oidc");
  });
});

const IDENTITY_MISTAKES: [string, string[], Record<string, string>, RegExp][] = [
  [
    "a secret and an issuer together in production",
    PROD_TLS,
    { GREETER_ENV: "production", GREETER_JWT_SECRET: SECRET, GREETER_OIDC_ISSUER: ISSUER },
    /^GREETER_OIDC_ISSUER and GREETER_JWT_SECRET are both set: tokens are either HMAC/,
  ],
  [
    "a secret file and a JWKS URL together",
    ["--jwt-secret-file", "s", "--jwt-jwks-url", `${ISSUER}/jwks`],
    {},
    /^--jwt-jwks-url and --jwt-secret-file are both set/,
  ],
  [
    "two key sources",
    [],
    { GREETER_OIDC_ISSUER: ISSUER, GREETER_JWT_PUBLIC_KEY_FILE: "k" },
    /GREETER_OIDC_ISSUER and GREETER_JWT_PUBLIC_KEY_FILE are both set/,
  ],
  [
    "an http issuer off loopback",
    [],
    { GREETER_OIDC_ISSUER: "http://id.example.com" },
    /GREETER_OIDC_ISSUER must use https:\/\/ \(http:\/\/ is accepted only on a loopback address\)/,
  ],
  [
    "an issuer that differs from an explicit --jwt-issuer",
    ["--jwt-issuer", "other"],
    { GREETER_OIDC_ISSUER: ISSUER },
    /--jwt-issuer \(other\) differs from GREETER_OIDC_ISSUER/,
  ],
  [
    "an HMAC algorithm with public keys",
    ["--jwt-algorithms", "RS256,HS256"],
    { GREETER_OIDC_ISSUER: ISSUER },
    /--jwt-algorithms: HS256 cannot be used with public keys/,
  ],
  [
    "a public-key algorithm with a secret",
    ["--jwt-algorithms", "ES256"],
    {},
    /--jwt-algorithms: ES256 cannot be used with a shared secret/,
  ],
  [
    "key refresh settings without a remote key source",
    ["--jwks-refresh", "1m"],
    {},
    /--jwks-refresh applies to GREETER_OIDC_ISSUER or GREETER_JWT_JWKS_URL/,
  ],
  [
    "basic mode with a policy",
    ["--basic"],
    { GREETER_AUTHZ_FILE: "policy.yaml" },
    /--basic serves without auth: it cannot be combined with GREETER_AUTHZ_FILE/,
  ],
  [
    "a maximum lifetime under a second",
    ["--jwt-max-lifetime", "10ms"],
    {},
    /--jwt-max-lifetime/,
  ],
];

Deno.test("server config refuses identity mistakes with one line", async (t) => {
  for (const [name, args, env, message] of IDENTITY_MISTAKES) {
    await t.step(`${name} is refused`, () => {
      assert.throws(() => loadServerConfig(args, env), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, message);
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    });
  }
});
