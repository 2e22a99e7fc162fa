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
import { ConfigError } from "../server/config.ts";
import {
  DEFAULT_HOST,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_PORT,
  DEV_CERTS_DIR,
  DEV_SECRET_FILE,
} from "../shared/defaults.ts";

/** The same error type as the server's: one line naming the setting, no stack. */
export { ConfigError };

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
  /** No token and no secret: calls go out without `authorization`. */
  | { readonly kind: "none"; readonly reason: string };

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

/** Every environment variable {@linkcode loadClientConfig} reads, for the entry to collect. */
export const CLIENT_ENV_VARS: readonly string[] = [
  "GREETER_TARGET",
  "GREETER_TLS_CA",
  "GREETER_TLS_CLIENT_CERT",
  "GREETER_TLS_CLIENT_KEY",
  "GREETER_TLS_SERVER_NAME",
  "GREETER_INSECURE",
  "GREETER_ALLOW_TOKEN_OVER_PLAINTEXT",
  "GREETER_TOKEN",
  "GREETER_TOKEN_FILE",
  "GREETER_JWT_SECRET",
  "GREETER_JWT_SECRET_FILE",
  "GREETER_JWT_ISSUER",
  "GREETER_JWT_AUDIENCE",
  "GREETER_SUBJECT",
  "GREETER_TOKEN_TTL",
  "GREETER_DEADLINE_MS",
];

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
  return Object.fromEntries(CLIENT_ENV_VARS.map((name) => [name, Deno.env.get(name)]));
}

/** Flag name -> whether it takes a value. */
const FLAGS: Record<string, boolean> = {
  "target": true,
  "ca": true,
  "cert": true,
  "key": true,
  "insecure": false,
  "allow-token-over-plaintext": false,
  "token": true,
  "token-file": true,
  "sub": true,
  "ttl": true,
  "deadline": true,
  "server-name": true,
  "issuer": true,
  "audience": true,
  "json": false,
  "junit": true,
  "only": true,
  "skip": true,
  "verbose": false,
  "help": false,
  "list": false,
  "name": true,
};

/** One line per flag, for `--help`. */
export const CLIENT_USAGE = `Usage: deno task client [scenarios|basic|token|bench] [flags]

  scenarios (default)  run the conformance scenarios against the target and report
  basic                one SayHello call, printed
  token                print a freshly minted token (needs the JWT secret)
  bench                load test (deno task bench --help)

Flags (environment variable in brackets; flags win):
  --target host:port          server to dial [GREETER_TARGET] (default 127.0.0.1:50051)
  --ca FILE                   CA the server certificate must chain to [GREETER_TLS_CA]
                              (default: development CA certs/ca.pem)
  --cert FILE --key FILE      client certificate and key for mTLS
                              [GREETER_TLS_CLIENT_CERT, GREETER_TLS_CLIENT_KEY]
  --server-name NAME          name to verify the server certificate against [GREETER_TLS_SERVER_NAME]
  --insecure                  plaintext, no TLS (no token is sent unless the next flag is given)
  --allow-token-over-plaintext  send the bearer token even over plaintext
  --token JWT                 use this bearer token [GREETER_TOKEN]; a flag is visible to other
                              processes (ps) and echoed by deno task (CI logs): prefer
                              GREETER_TOKEN or --token-file
  --token-file FILE           read the bearer token from FILE [GREETER_TOKEN_FILE]
                              (default: mint tokens from GREETER_JWT_SECRET, GREETER_JWT_SECRET_FILE
                              or the development secret .greeter/jwt-secret)
  --issuer ISS --audience AUD claims of minted tokens [GREETER_JWT_ISSUER, GREETER_JWT_AUDIENCE]
  --sub SUBJECT               subject of minted tokens (default greeter-client)
  --ttl SECONDS               lifetime of minted tokens (default 3600)
  --deadline MS               deadline of every call (default 5000) [GREETER_DEADLINE_MS]
  --name NAME                 basic: who to greet (default world)
  --json                      scenarios: print the report as JSON
  --junit FILE                scenarios: also write a JUnit XML report
  --only a,b --skip a,b       scenarios: select by name
  --list                      scenarios: print each scenario's name, group and expected result
  --verbose                   more detail
  --help                      this text
`;

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
  const { command, flags, rest } = parseArgs(args);
  const get = (flag: string, envName?: string): string | undefined => {
    const fromFlag = flags.get(flag);
    if (typeof fromFlag === "string") return fromFlag;
    const fromEnv = envName === undefined ? undefined : env[envName];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const has = (flag: string) => flags.get(flag) === true;

  const target = get("target", "GREETER_TARGET") ?? `${DEFAULT_HOST}:${DEFAULT_PORT}`;
  const { host, port } = parseTarget(target);

  const insecure = has("insecure") || isTrue(env.GREETER_INSECURE, "GREETER_INSECURE");
  const allowTokenOverPlaintext = has("allow-token-over-plaintext") ||
    isTrue(env.GREETER_ALLOW_TOKEN_OVER_PLAINTEXT, "GREETER_ALLOW_TOKEN_OVER_PLAINTEXT");

  const caFlag = get("ca", "GREETER_TLS_CA");
  const certPath = get("cert", "GREETER_TLS_CLIENT_CERT");
  const keyPath = get("key", "GREETER_TLS_CLIENT_KEY");
  const serverName = get("server-name", "GREETER_TLS_SERVER_NAME");
  let tls: ClientTlsConfig | null = null;
  if (insecure) {
    for (const [flag, value] of [["--ca", caFlag], ["--cert", certPath], ["--key", keyPath]]) {
      if (value !== undefined) throw new ConfigError(`${flag} cannot be combined with --insecure`);
    }
  } else if (has("help") || has("list")) {
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

  const issuer = get("issuer", "GREETER_JWT_ISSUER") ?? DEFAULT_JWT_ISSUER;
  const audience = get("audience", "GREETER_JWT_AUDIENCE") ?? DEFAULT_JWT_AUDIENCE;
  const subject = get("sub", "GREETER_SUBJECT") ?? "greeter-client";
  if (subject.trim() === "") throw new ConfigError("--sub must not be blank");
  const ttlSeconds = parsePositiveInt(get("ttl", "GREETER_TOKEN_TTL"), "--ttl", 3600);
  const deadlineMs = parsePositiveInt(get("deadline", "GREETER_DEADLINE_MS"), "--deadline", 5000);

  // The secret: GREETER_JWT_SECRET (UTF-8 text), else the development secret file if present.
  let secret: Uint8Array | undefined;
  let secretSource: string | undefined;
  const envSecret = env.GREETER_JWT_SECRET;
  const envSecretFile = env.GREETER_JWT_SECRET_FILE;
  if (envSecret && envSecretFile) {
    throw new ConfigError("GREETER_JWT_SECRET and GREETER_JWT_SECRET_FILE are both set: give one");
  }
  if (envSecret !== undefined && envSecret !== "") {
    secret = new TextEncoder().encode(envSecret);
    secretSource = "GREETER_JWT_SECRET";
  } else if (envSecretFile !== undefined && envSecretFile !== "") {
    // Read as the server reads it (lib/auth/secret_file.ts): the file's bytes
    // less one trailing line break, so a binary key survives intact.
    secret = secretFromFileBytes(
      readRequired(readBytes, envSecretFile, "GREETER_JWT_SECRET_FILE"),
    );
    secretSource = envSecretFile;
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

  const tokenFlag = get("token", "GREETER_TOKEN");
  const tokenFile = get("token-file", "GREETER_TOKEN_FILE");
  if (tokenFlag !== undefined && tokenFile !== undefined) {
    throw new ConfigError(
      "--token and --token-file (GREETER_TOKEN / GREETER_TOKEN_FILE) are exclusive",
    );
  }
  let token: TokenSourceConfig;
  if (tokenFlag !== undefined) {
    token = Object.freeze({ kind: "static", token: checkTokenShape(tokenFlag, "--token") });
  } else if (tokenFile !== undefined) {
    const text = readRequired(read, tokenFile, "--token-file");
    token = Object.freeze({
      kind: "file",
      path: tokenFile,
      token: checkTokenShape(text.trim(), `--token-file ${tokenFile}`),
    });
  } else if (secret !== undefined) {
    token = Object.freeze({ kind: "mint" });
  } else {
    token = Object.freeze({
      kind: "none",
      reason: "no --token, --token-file, GREETER_JWT_SECRET or development secret file",
    });
  }
  if (has("list") && command !== "scenarios") {
    throw new ConfigError(`--list lists the scenarios; it cannot be combined with ${command}`);
  }
  if (command === "token" && secret === undefined && !has("help")) {
    throw new ConfigError(
      `token: no JWT secret; set GREETER_JWT_SECRET or start the server once to create ${
        options.devSecretFile ?? DEV_SECRET_FILE
      }`,
    );
  }

  const junitFile = get("junit");
  return Object.freeze({
    command,
    target,
    host,
    port,
    tls,
    allowTokenOverPlaintext,
    token,
    ...(secret === undefined ? {} : { secret, secretSource }),
    issuer,
    audience,
    subject,
    ttlSeconds,
    deadlineMs,
    json: has("json"),
    ...(junitFile === undefined ? {} : { junitFile }),
    only: Object.freeze(parseList(get("only"))),
    skip: Object.freeze(parseList(get("skip"))),
    verbose: has("verbose"),
    help: has("help"),
    list: has("list"),
    name: get("name") ?? "world",
    rest: Object.freeze([...rest]),
  });
}

/** Splits `args` into the subcommand, known flags and the rest; unknown flags throw. */
function parseArgs(
  args: readonly string[],
): { command: ClientCommand; flags: Map<string, string | true>; rest: string[] } {
  let command: ClientCommand | undefined;
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (!(name in FLAGS)) {
        // `bench` owns its own flags; pass them through untouched.
        if (command === "bench") {
          rest.push(arg);
          continue;
        }
        throw new ConfigError(`unknown flag --${name} (see --help)`);
      }
      if (FLAGS[name]) {
        let value: string | undefined;
        if (eq !== -1) value = arg.slice(eq + 1);
        else if (i + 1 < args.length) value = args[++i];
        if (value === undefined) throw new ConfigError(`--${name} needs a value`);
        flags.set(name, value);
      } else {
        if (eq !== -1) throw new ConfigError(`--${name} takes no value`);
        flags.set(name, true);
      }
    } else if (arg === "-h") {
      flags.set("help", true);
    } else if (arg.startsWith("-") && arg.length > 1) {
      if (command === "bench") {
        rest.push(arg);
        continue;
      }
      throw new ConfigError(`unknown flag ${arg} (see --help)`);
    } else if (command === undefined && (CLIENT_COMMANDS as readonly string[]).includes(arg)) {
      command = arg as ClientCommand;
    } else if (command === "bench") {
      rest.push(arg);
    } else {
      throw new ConfigError(
        `unexpected argument ${JSON.stringify(arg)}; commands are ${CLIENT_COMMANDS.join(", ")}`,
      );
    }
  }
  return { command: command ?? "scenarios", flags, rest };
}

/** `host:port`, `[v6]:port`; the port must be 1-65535. */
function parseTarget(target: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]\/]+):([^:]*)$/.exec(target);
  if (match === null) {
    throw new ConfigError(`--target must be host:port, got ${JSON.stringify(target)}`);
  }
  const port = Number(match[2]);
  if (!/^\d+$/.test(match[2]) || port < 1 || port > 65535) {
    throw new ConfigError(`--target port must be 1-65535, got ${JSON.stringify(match[2])}`);
  }
  return { host: match[1], port };
}

function parsePositiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return n;
}

function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function isTrue(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "") return false;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(value)}`);
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
