/**
 * The client's only reader of command-line flags and `GREETER_*` settings:
 * turns `args` and `env` into a frozen, validated {@linkcode ClientConfig}.
 * Flags win over environment variables, which win over development defaults.
 *
 * It takes its inputs as arguments (the entry passes `Deno.args` and
 * {@linkcode readClientEnv}) and reads only the files the settings name (CA,
 * client certificate and key, token file, JWT secret), through injectable
 * readers, so the loaded config carries PEM text and secret bytes and nothing
 * downstream touches the file system. {@linkcode readClientEnv} is the
 * client's one reader of `Deno.env`.
 *
 * @module
 */
import { join } from "node:path";
import { MIN_SECRET_BYTES } from "../auth/jwt.ts";
import { secretFromFileBytes } from "../auth/secret_file.ts";
import { ConfigError } from "../cli/config_error.ts";
import {
  envNames,
  readEnv,
  readSettings,
  type SettingsTable,
  type SettingValues,
  usageLines,
} from "../cli/settings.ts";
import { checkProviderUrl } from "../auth/jwks.ts";
import {
  DEFAULT_CALL_DEADLINE_MS,
  DEFAULT_HOST,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_PORT,
  DEFAULT_TOKEN_TTL_SECONDS,
  DEV_CERTS_DIR,
  DEV_SECRET_FILE,
} from "../shared/defaults.ts";

/** What `client.ts` was asked to do. */
export type ClientCommand = "scenarios" | "basic" | "token" | "bench";

/** The subcommands, in the order `--help` lists them. */
export const CLIENT_COMMANDS: readonly ClientCommand[] = ["scenarios", "basic", "token", "bench"];

/** TLS material for the channel, as PEM text. */
export interface ClientTlsConfig {
  /** Root certificate(s) the server's certificate must chain to (PEM). */
  readonly ca: string;
  /** Where `ca` came from, for messages. */
  readonly caPath: string;
  /** Client certificate for mTLS (PEM), when configured. */
  readonly cert?: string;
  /** Client private key for mTLS (PEM), when configured. */
  readonly key?: string;
  /** Name to check the server certificate against instead of the target host. */
  readonly serverName?: string;
}

/** Where the client's bearer token comes from. */
export type TokenSourceConfig =
  /** A token given literally (`--token` / `GREETER_TOKEN`); never refreshed. */
  | { readonly kind: "static"; readonly token: string }
  /** A file holding a token, re-read when the token nears expiry. */
  | { readonly kind: "file"; readonly path: string; readonly token: string }
  /** Tokens minted from {@linkcode ClientConfig.secret}. */
  | { readonly kind: "mint" }
  /** Tokens from an OAuth2 authorization server (client credentials grant). */
  | { readonly kind: "oauth"; readonly oauth: OAuthClientConfig }
  /** No token and no secret: calls go out without `authorization`. */
  | { readonly kind: "none"; readonly reason: string };

/** An OAuth2 client credentials grant: where, who, and for what. */
export interface OAuthClientConfig {
  /** Token endpoint, when given directly (else discovered from `issuer`). */
  readonly tokenUrl?: string;
  /** OpenID issuer whose discovery names the token endpoint. */
  readonly issuer?: string;
  /** Client id. */
  readonly clientId: string;
  /** Client secret (from the environment or its file). */
  readonly clientSecret: string;
  /** Scopes to ask for, space-separated. */
  readonly scope?: string;
  /** The API the token is for (`resource` / `audience`). */
  readonly audience?: string;
  /** PEM CA certificates for https to the provider. */
  readonly caCerts?: readonly string[];
}

/** What the identity scenarios know of the OpenID provider. */
export interface HarnessIdentityConfig {
  /** OpenID issuer (discovery), when given. */
  readonly issuer?: string;
  /** JWKS URL, when given instead. */
  readonly jwksUrl?: string;
  /** Text of the provider's private keys (a private JWKS), when handed to the harness. */
  readonly providerKeys?: string;
  /** The scope the server requires for `SayHello`. */
  readonly requiredScope?: string;
}

/** The validated, frozen client configuration. */
export interface ClientConfig {
  /** Subcommand. @default "scenarios" */
  readonly command: ClientCommand;
  /** `host:port` to dial. @default "127.0.0.1:50051" */
  readonly target: string;
  /** Host part of {@linkcode target}. */
  readonly host: string;
  /** Port part of {@linkcode target}. */
  readonly port: number;
  /** TLS material, or `null` for plaintext (`--insecure`). */
  readonly tls: ClientTlsConfig | null;
  /** Whether a token may be sent over plaintext (`--allow-token-over-plaintext`). @default false */
  readonly allowTokenOverPlaintext: boolean;
  /** Where bearer tokens come from. */
  readonly token: TokenSourceConfig;
  /** HMAC secret for minting tokens, when known. */
  readonly secret?: Uint8Array;
  /** The OpenID provider, for the identity scenarios; absent without one. */
  readonly identity?: HarnessIdentityConfig;
  /** Where {@linkcode secret} came from, for messages. */
  readonly secretSource?: string;
  /** `iss` of minted tokens. @default "greeter" */
  readonly issuer: string;
  /** `aud` of minted tokens. @default "helloworld.Greeter" */
  readonly audience: string;
  /** `sub` of minted tokens. @default "greeter-client" */
  readonly subject: string;
  /** Lifetime of minted tokens, in seconds. @default 3600 */
  readonly ttlSeconds: number;
  /** Default deadline of every call, in milliseconds. @default 5000 */
  readonly deadlineMs: number;
  /** Print the report as JSON instead of a table. @default false */
  readonly json: boolean;
  /** Also write a JUnit XML report to this file. */
  readonly junitFile?: string;
  /** Run only these scenarios (by name). @default [] (all) */
  readonly only: readonly string[];
  /** Skip these scenarios (by name). @default [] */
  readonly skip: readonly string[];
  /** More output. @default false */
  readonly verbose: boolean;
  /** `--help` was given. @default false */
  readonly help: boolean;
  /** `--list`: print the scenarios instead of running them. @default false */
  readonly list: boolean;
  /** `basic`: the name to greet. @default "world" */
  readonly name: string;
  /** Arguments after `--` or not consumed, passed through (e.g. to `bench`). */
  readonly rest: readonly string[];
}

/** Reads a text file; throws `Deno.errors.NotFound` when missing. */
export type ReadTextFile = (path: string) => string;

/** Reads a file's bytes; throws `Deno.errors.NotFound` when missing. */
export type ReadFile = (path: string) => Uint8Array;

/** Options for {@linkcode loadClientConfig}. */
export interface LoadClientConfigOptions {
  /** Reader of PEM and token files, injectable for tests. @default Deno.readTextFileSync */
  readTextFile?: ReadTextFile;
  /**
   * Reader of JWT secret files, injectable for tests. Secrets are bytes, not
   * text: nothing is decoded, only one trailing line break is dropped.
   * @default Deno.readFileSync
   */
  readFile?: ReadFile;
  /** Development certificates directory (default CA at `ca.pem`). @default DEV_CERTS_DIR */
  devCertsDir?: string;
  /** Development JWT secret file, used when no secret is configured. @default DEV_SECRET_FILE */
  devSecretFile?: string;
}

const blank = (value: string) => value.trim() === "" ? "must not be blank" : undefined;

/**
 * Every client setting: flag, environment variable, kind, range, default and
 * help. Parsing, validation, `--help` and {@linkcode CLIENT_ENV_VARS} come
 * from this one table. `bench` reads its own flags from its own table
 * (`lib/bench/run_bench.ts`): the flags of the scenarios and of `basic` are
 * passed through to it untouched.
 */
export const CLIENT_SETTINGS = {
  target: {
    flag: "target",
    env: "GREETER_TARGET",
    kind: "string",
    default: `${DEFAULT_HOST}:${DEFAULT_PORT}`,
    valueName: "HOST:PORT",
    help: "server to dial",
  },
  ca: {
    flag: "ca",
    env: "GREETER_TLS_CA",
    kind: "path",
    defaultText: "development CA certs/ca.pem",
    help: "CA the server certificate must chain to",
  },
  cert: {
    flag: "cert",
    env: "GREETER_TLS_CLIENT_CERT",
    kind: "path",
    help: "client certificate for mTLS (with --key)",
  },
  key: {
    flag: "key",
    env: "GREETER_TLS_CLIENT_KEY",
    kind: "path",
    help: "client private key for mTLS (with --cert)",
  },
  serverName: {
    flag: "server-name",
    env: "GREETER_TLS_SERVER_NAME",
    kind: "string",
    valueName: "NAME",
    help: "name to verify the server certificate against",
  },
  insecure: {
    flag: "insecure",
    env: "GREETER_INSECURE",
    kind: "switch",
    help: "plaintext, no TLS (no token is sent unless the next flag is given)",
  },
  allowTokenOverPlaintext: {
    flag: "allow-token-over-plaintext",
    env: "GREETER_ALLOW_TOKEN_OVER_PLAINTEXT",
    kind: "switch",
    help: "send the bearer token even over plaintext",
  },
  token: {
    flag: "token",
    env: "GREETER_TOKEN",
    kind: "string",
    valueName: "JWT",
    help: "use this bearer token; a flag is visible to other processes (ps) and echoed by " +
      "deno task: prefer GREETER_TOKEN or --token-file",
  },
  tokenFile: {
    flag: "token-file",
    env: "GREETER_TOKEN_FILE",
    kind: "path",
    defaultText: "mint tokens from the JWT secret",
    help: "read the bearer token from FILE",
  },
  jwtSecret: {
    env: "GREETER_JWT_SECRET",
    kind: "string",
    defaultText: "the development secret .greeter/jwt-secret",
    help: "HMAC secret to mint tokens with (no flag, so it never shows in ps)",
  },
  jwtSecretFile: {
    flag: "jwt-secret-file",
    env: "GREETER_JWT_SECRET_FILE",
    kind: "path",
    help: "file holding the HMAC secret (its bytes, less one trailing line break)",
  },
  oidcIssuer: {
    flag: "oidc-issuer",
    env: "GREETER_OIDC_ISSUER",
    kind: "string",
    valueName: "URL",
    help: "OpenID issuer: token endpoint and keys by discovery; the iss scenarios expect",
  },
  jwksUrl: {
    flag: "jwt-jwks-url",
    env: "GREETER_JWT_JWKS_URL",
    kind: "string",
    valueName: "URL",
    commands: ["scenarios"],
    help: "JWKS URL of the token signer, when there is no issuer (identity scenarios)",
  },
  oauthTokenUrl: {
    flag: "oauth-token-url",
    env: "GREETER_OAUTH_TOKEN_URL",
    kind: "string",
    valueName: "URL",
    defaultText: "discovered from GREETER_OIDC_ISSUER",
    help: "OAuth2 token endpoint for the client credentials grant",
  },
  oauthClientId: {
    flag: "oauth-client-id",
    env: "GREETER_OAUTH_CLIENT_ID",
    kind: "string",
    valueName: "ID",
    help: "client id: tokens come from the client credentials grant",
  },
  oauthClientSecret: {
    env: "GREETER_OAUTH_CLIENT_SECRET",
    kind: "string",
    help: "client secret (no flag, so it never shows in ps)",
  },
  oauthClientSecretFile: {
    flag: "oauth-client-secret-file",
    env: "GREETER_OAUTH_CLIENT_SECRET_FILE",
    kind: "path",
    help: "file holding the client secret (less one trailing line break)",
  },
  oauthScope: {
    flag: "oauth-scope",
    env: "GREETER_OAUTH_SCOPE",
    kind: "string",
    valueName: "SCOPES",
    help: "scopes to ask for, space-separated",
  },
  oauthAudience: {
    flag: "oauth-audience",
    env: "GREETER_OAUTH_AUDIENCE",
    kind: "string",
    valueName: "AUD",
    help: "API the token is for (sent as resource and audience)",
  },
  oidcCa: {
    flag: "oidc-ca",
    env: "GREETER_OIDC_CA",
    kind: "path",
    defaultText: "system roots",
    help: "CA certificate (PEM) trusted for https to the provider",
  },
  providerKeys: {
    flag: "provider-keys",
    env: "GREETER_HARNESS_PROVIDER_KEYS",
    kind: "path",
    commands: ["scenarios"],
    help: "the provider's private JWKS, for identity scenarios that sign (test providers only)",
  },
  requiredScope: {
    flag: "required-scope",
    env: "GREETER_HARNESS_REQUIRED_SCOPE",
    kind: "string",
    valueName: "SCOPE",
    commands: ["scenarios"],
    help: "the scope the server requires for SayHello (scope scenarios)",
  },
  issuer: {
    flag: "issuer",
    env: "GREETER_JWT_ISSUER",
    kind: "string",
    default: DEFAULT_JWT_ISSUER,
    valueName: "ISS",
    help: "iss of minted tokens",
  },
  audience: {
    flag: "audience",
    env: "GREETER_JWT_AUDIENCE",
    kind: "string",
    default: DEFAULT_JWT_AUDIENCE,
    valueName: "AUD",
    help: "aud of minted tokens",
  },
  subject: {
    flag: "sub",
    env: "GREETER_SUBJECT",
    kind: "string",
    default: "greeter-client",
    valueName: "SUBJECT",
    help: "sub of minted tokens",
    check: blank,
  },
  ttlSeconds: {
    flag: "ttl",
    env: "GREETER_TOKEN_TTL",
    kind: "int",
    min: 1,
    default: DEFAULT_TOKEN_TTL_SECONDS,
    valueName: "SECONDS",
    help: "lifetime of minted tokens",
  },
  deadlineMs: {
    flag: "deadline",
    env: "GREETER_DEADLINE_MS",
    kind: "int",
    min: 1,
    default: DEFAULT_CALL_DEADLINE_MS,
    valueName: "MS",
    help: "deadline of every call",
  },
  name: {
    flag: "name",
    kind: "string",
    default: "world",
    commands: ["basic"],
    help: "who to greet",
  },
  json: { flag: "json", kind: "switch", commands: ["scenarios"], help: "print the report as JSON" },
  junit: {
    flag: "junit",
    kind: "path",
    commands: ["scenarios"],
    help: "also write a JUnit XML report",
  },
  only: { flag: "only", kind: "list", commands: ["scenarios"], help: "run only these, by name" },
  skip: { flag: "skip", kind: "list", commands: ["scenarios"], help: "skip these, by name" },
  list: {
    flag: "list",
    kind: "switch",
    commands: ["scenarios"],
    help: "print each scenario's name, group and expected result",
  },
  verbose: { flag: "verbose", kind: "switch", help: "more detail" },
  help: { flag: "help", kind: "switch", help: "this text (-h too)" },
} as const satisfies SettingsTable;

/** Every environment variable {@linkcode loadClientConfig} reads, for the entry to collect. */
export const CLIENT_ENV_VARS: readonly string[] = envNames(CLIENT_SETTINGS);

/**
 * The client's one reader of `Deno.env`: the variables in
 * {@linkcode CLIENT_ENV_VARS} and no others, so `--allow-env=GREETER_*` is
 * enough and nothing else in the environment can steer the client.
 *
 * @returns each name in {@linkcode CLIENT_ENV_VARS} mapped to its value, or
 *   `undefined` when unset
 *
 * @example
 * ```ts
 * const config = loadClientConfig(Deno.args, readClientEnv());
 * ```
 */
export function readClientEnv(): Record<string, string | undefined> {
  return readEnv(CLIENT_ENV_VARS);
}

/** `--help` of the client, generated from {@linkcode CLIENT_SETTINGS}. */
export const CLIENT_USAGE: string = [
  "Usage: deno task client [scenarios|basic|token|bench] [flags]",
  "",
  "  scenarios (default)  run the conformance scenarios against the target and report",
  "  basic                one SayHello call, printed",
  "  token                print a token: client credentials, or minted from the JWT secret",
  "  bench                load test (deno task bench --help)",
  "",
  "Settings (flag, then environment variable in brackets; flags win):",
  ...usageLines(CLIENT_SETTINGS),
  "",
].join("\n");

/**
 * Parses and validates the client's settings.
 *
 * @param args command-line arguments (`Deno.args`)
 * @param env the `GREETER_*` environment (other keys are ignored)
 * @param options file reader and development paths
 * @returns a frozen {@linkcode ClientConfig}
 * @throws {ConfigError} on an unknown flag, a bad value or an unreadable file
 *
 * @example
 * ```ts
 * const config = loadClientConfig(["basic", "--target", "localhost:50051"], { GREETER_TOKEN: token });
 * ```
 */
export function loadClientConfig(
  args: readonly string[],
  env: Record<string, string | undefined>,
  options: LoadClientConfigOptions = {},
): ClientConfig {
  const read = options.readTextFile ?? Deno.readTextFileSync;
  const readBytes = options.readFile ?? Deno.readFileSync;
  const { command = "scenarios", values, label, rest } = readSettings(CLIENT_SETTINGS, args, env, {
    commands: CLIENT_COMMANDS,
    passThrough: ["bench"],
    allowRest: true,
  });

  const target = values.target;
  const { host, port } = parseTarget(target, label("target"));

  const insecure = values.insecure;
  const allowTokenOverPlaintext = values.allowTokenOverPlaintext;

  const caFlag = values.ca;
  const certPath = values.cert;
  const keyPath = values.key;
  const serverName = values.serverName;
  let tls: ClientTlsConfig | null = null;
  if (insecure) {
    for (const [flag, value] of [["--ca", caFlag], ["--cert", certPath], ["--key", keyPath]]) {
      if (value !== undefined) throw new ConfigError(`${flag} cannot be combined with --insecure`);
    }
  } else if (values.help || values.list) {
    // --help and --list dial nothing: they must work before any certificate exists.
  } else {
    if ((certPath === undefined) !== (keyPath === undefined)) {
      throw new ConfigError(
        "--cert and --key (GREETER_TLS_CLIENT_CERT / GREETER_TLS_CLIENT_KEY) must be given together",
      );
    }
    const caPath = caFlag ?? join(options.devCertsDir ?? DEV_CERTS_DIR, "ca.pem");
    const ca = readPem(
      read,
      caPath,
      caFlag === undefined ? "development CA" : "--ca",
      "CERTIFICATE",
      {
        hint: caFlag === undefined ? "; run `deno task certs` or pass --ca FILE" : "",
      },
    );
    tls = Object.freeze({
      ca,
      caPath,
      ...(certPath === undefined ? {} : {
        cert: readPem(read, certPath, "--cert", "CERTIFICATE"),
        key: readPem(read, keyPath!, "--key", "PRIVATE KEY"),
      }),
      ...(serverName === undefined ? {} : { serverName }),
    });
  }

  const { issuer, audience, subject, ttlSeconds, deadlineMs } = values;

  // The secret: GREETER_JWT_SECRET (UTF-8 text), or the secret file, else the development
  // secret file if present.
  let secret: Uint8Array | undefined;
  let secretSource: string | undefined;
  const envSecret = values.jwtSecret;
  const secretFilePath = values.jwtSecretFile;
  if (envSecret !== undefined && secretFilePath !== undefined) {
    throw new ConfigError(
      `GREETER_JWT_SECRET and ${label("jwtSecretFile")} are both set: give one`,
    );
  }
  if (envSecret !== undefined) {
    secret = new TextEncoder().encode(envSecret);
    secretSource = "GREETER_JWT_SECRET";
  } else if (secretFilePath !== undefined) {
    // Read as the server reads it (lib/auth/secret_file.ts): the file's bytes
    // less one trailing line break, so a binary key survives intact.
    secret = secretFromFileBytes(
      readRequired(readBytes, secretFilePath, label("jwtSecretFile")),
    );
    secretSource = secretFilePath;
  } else {
    const devSecretFile = options.devSecretFile ?? DEV_SECRET_FILE;
    const bytes = readOptional(readBytes, devSecretFile, "development JWT secret");
    if (bytes !== undefined) {
      secret = secretFromFileBytes(bytes);
      secretSource = devSecretFile;
    }
  }
  if (secret !== undefined && secret.byteLength < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `JWT secret from ${secretSource} is ${secret.byteLength} bytes; at least ${MIN_SECRET_BYTES} are required`,
    );
  }

  const tokenFlag = values.token;
  const tokenFile = values.tokenFile;
  if (tokenFlag !== undefined && tokenFile !== undefined) {
    throw new ConfigError(
      "--token and --token-file (GREETER_TOKEN / GREETER_TOKEN_FILE) are exclusive",
    );
  }
  const oauth = oauthFromSettings(values, label, read);
  let token: TokenSourceConfig;
  if (tokenFlag !== undefined) {
    token = Object.freeze({ kind: "static", token: checkTokenShape(tokenFlag, label("token")) });
  } else if (tokenFile !== undefined) {
    const text = readRequired(read, tokenFile, "--token-file");
    token = Object.freeze({
      kind: "file",
      path: tokenFile,
      token: checkTokenShape(text.trim(), `${label("tokenFile")} ${tokenFile}`),
    });
  } else if (oauth !== undefined) {
    token = Object.freeze({ kind: "oauth", oauth });
  } else if (secret !== undefined) {
    token = Object.freeze({ kind: "mint" });
  } else {
    token = Object.freeze({
      kind: "none",
      reason:
        "no --token, --token-file, GREETER_OAUTH_CLIENT_ID, GREETER_JWT_SECRET or development secret file",
    });
  }
  if (values.list && command !== "scenarios") {
    throw new ConfigError(`--list lists the scenarios; it cannot be combined with ${command}`);
  }
  if (command === "token" && secret === undefined && oauth === undefined && !values.help) {
    throw new ConfigError(
      `token: no JWT secret; set GREETER_JWT_SECRET or start the server once to create ${
        options.devSecretFile ?? DEV_SECRET_FILE
      }`,
    );
  }

  const junitFile = values.junit;
  return Object.freeze({
    command,
    target,
    host,
    port,
    tls,
    allowTokenOverPlaintext,
    token,
    ...(secret === undefined ? {} : { secret, secretSource }),
    ...identityFromSettings(values, label, read),
    issuer: values.oidcIssuer ?? issuer,
    audience,
    subject,
    ttlSeconds,
    deadlineMs,
    json: values.json,
    ...(junitFile === undefined ? {} : { junitFile }),
    only: values.only,
    skip: values.skip,
    verbose: values.verbose,
    help: values.help,
    list: values.list,
    name: values.name,
    rest,
  });
}

type ClientValues = SettingValues<typeof CLIENT_SETTINGS>;
type Label = (key: keyof typeof CLIENT_SETTINGS & string) => string;

/** The client credentials grant the settings ask for, or `undefined` without a client id. */
function oauthFromSettings(
  values: ClientValues,
  label: Label,
  read: ReadTextFile,
): OAuthClientConfig | undefined {
  for (const key of ["oauthTokenUrl", "oidcIssuer", "jwksUrl"] as const) {
    const url = values[key];
    if (url === undefined) continue;
    try {
      checkProviderUrl(url, label(key));
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  const clientId = values.oauthClientId;
  const hasSecret = values.oauthClientSecret !== undefined ||
    values.oauthClientSecretFile !== undefined;
  if (clientId === undefined) {
    const stray =
      (["oauthClientSecret", "oauthClientSecretFile", "oauthScope", "oauthTokenUrl"] as const)
        .find((key) => values[key] !== undefined);
    if (stray !== undefined) {
      throw new ConfigError(`${label(stray)} is set but GREETER_OAUTH_CLIENT_ID is not`);
    }
    return undefined;
  }
  if (values.oauthClientSecret !== undefined && values.oauthClientSecretFile !== undefined) {
    throw new ConfigError(
      "GREETER_OAUTH_CLIENT_SECRET and GREETER_OAUTH_CLIENT_SECRET_FILE are both set: give one",
    );
  }
  if (!hasSecret) {
    throw new ConfigError(
      `${label("oauthClientId")} needs a client secret: set GREETER_OAUTH_CLIENT_SECRET or ` +
        "GREETER_OAUTH_CLIENT_SECRET_FILE",
    );
  }
  if (values.oauthTokenUrl === undefined && values.oidcIssuer === undefined) {
    throw new ConfigError(
      `${
        label("oauthClientId")
      } needs a token endpoint: set GREETER_OAUTH_TOKEN_URL or GREETER_OIDC_ISSUER`,
    );
  }
  const clientSecret = values.oauthClientSecret ??
    readRequired(read, values.oauthClientSecretFile!, label("oauthClientSecretFile"))
      .replace(/\r?\n$/, "");
  if (clientSecret === "") throw new ConfigError("the OAuth client secret is empty");
  const caCerts = values.oidcCa === undefined
    ? undefined
    : [readPem(read, values.oidcCa, label("oidcCa"), "CERTIFICATE")];
  return Object.freeze({
    clientId,
    clientSecret,
    ...(values.oauthTokenUrl === undefined
      ? { issuer: values.oidcIssuer! }
      : { tokenUrl: values.oauthTokenUrl }),
    ...(values.oauthScope === undefined ? {} : { scope: values.oauthScope }),
    ...(values.oauthAudience === undefined ? {} : { audience: values.oauthAudience }),
    ...(caCerts === undefined ? {} : { caCerts }),
  });
}

/** The harness's view of the provider, when an issuer or JWKS URL is set. */
function identityFromSettings(
  values: ClientValues,
  label: Label,
  read: ReadTextFile,
): { identity?: HarnessIdentityConfig } {
  if (values.oidcIssuer === undefined && values.jwksUrl === undefined) {
    for (const key of ["providerKeys", "requiredScope"] as const) {
      if (values[key] !== undefined) {
        throw new ConfigError(
          `${
            label(key)
          } needs GREETER_OIDC_ISSUER or GREETER_JWT_JWKS_URL (the provider it is about)`,
        );
      }
    }
    return {};
  }
  return {
    identity: Object.freeze({
      ...(values.oidcIssuer === undefined ? {} : { issuer: values.oidcIssuer }),
      ...(values.jwksUrl === undefined ? {} : { jwksUrl: values.jwksUrl }),
      ...(values.providerKeys === undefined
        ? {}
        : { providerKeys: readRequired(read, values.providerKeys, label("providerKeys")) }),
      ...(values.requiredScope === undefined ? {} : { requiredScope: values.requiredScope }),
    }),
  };
}

/** `host:port`, `[v6]:port`; the port must be 1-65535. */
function parseTarget(target: string, label: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]\/]+):([^:]*)$/.exec(target);
  if (match === null) {
    throw new ConfigError(`${label} must be host:port, got ${JSON.stringify(target)}`);
  }
  const port = Number(match[2]);
  if (!/^\d+$/.test(match[2]) || port < 1 || port > 65535) {
    throw new ConfigError(`${label} port must be 1-65535, got ${JSON.stringify(match[2])}`);
  }
  return { host: match[1], port };
}

function checkTokenShape(token: string, what: string): string {
  if (!/^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*$/.test(token)) {
    throw new ConfigError(`${what} is not a compact JWT (header.payload.signature)`);
  }
  return token;
}

function readRequired<T>(read: (path: string) => T, path: string, what: string): T {
  const content = readOptional(read, path, what);
  if (content === undefined) throw new ConfigError(`${what}: file not found: ${path}`);
  return content;
}

function readOptional<T>(read: (path: string) => T, path: string, what: string): T | undefined {
  try {
    return read(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(`${what}: cannot read ${path}: ${reason}`);
  }
}

function readPem(
  read: ReadTextFile,
  path: string,
  what: string,
  label: string,
  { hint = "" }: { hint?: string } = {},
): string {
  const text = readOptional(read, path, what);
  if (text === undefined) throw new ConfigError(`${what}: file not found: ${path}${hint}`);
  if (!text.includes("-----BEGIN ") || !text.includes(label)) {
    throw new ConfigError(`${what}: ${path} is not a PEM ${label.toLowerCase()}`);
  }
  return text;
}
