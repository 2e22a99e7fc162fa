/**
 * Server configuration: the only reader of the server's flags and `GREETER_*`
 * environment. Flags win over environment. The result is frozen and already
 * validated; a mistake is a {@linkcode ConfigError} with one line naming the
 * setting and what is wrong.
 *
 * @module
 */
import type { LogLevel } from "@logtape/logtape";
import {
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PORT,
  DEFAULT_REPLY_BUFFER_BYTES,
  DEFAULT_REPLY_BUFFER_TOTAL_BYTES,
  DEFAULT_REPLY_STALL_MS,
  DEFAULT_SHUTDOWN_DELAY_MS,
  DEFAULT_STREAM_INTERVAL_MS,
  DEFAULT_WORKER_MAX_RSS_MB,
  MAX_CLOCK_TOLERANCE_SECONDS,
} from "../shared/defaults.ts";
import { DEFAULT_MAX_LIFETIME_SECONDS, MIN_SECRET_BYTES } from "../auth/jwt.ts";
import { ASYMMETRIC_ALGORITHMS, checkProviderUrl } from "../auth/jwks.ts";
import { LOG_LEVELS, type LogFormat } from "../shared/log.ts";
import { leaksServerMemory } from "../shared/deno_version.ts";
import { TRACE_SAMPLERS, type TraceSamplerName } from "../shared/tracing.ts";
import { ConfigError } from "../cli/config_error.ts";
import { envNames, readSettings, type SettingsTable, usageLines } from "../cli/settings.ts";

/** Deployment mode: production refuses dev secrets, dev certificates and plaintext. */
export type GreeterEnv = "development" | "production";

/** What `main.ts` was asked to do. */
export type ServerCommand = "serve" | "certs" | "help";

/** Where the server's token-verification keys come from, and how they are kept fresh. */
export interface ServerKeysConfig {
  /** Which source. */
  readonly kind: "oidc" | "jwks" | "file";
  /** The issuer URL, JWKS URL or file path. */
  readonly location: string;
  /** CA certificate file for https to the provider, instead of the system roots. */
  readonly caFile?: string;
  /** Time one fetch may take, in ms. */
  readonly fetchTimeoutMs: number;
  /** Scheduled refresh, in ms. */
  readonly refreshIntervalMs: number;
  /** Least time between refreshes caused by unknown `kid`s, in ms. */
  readonly minRefreshIntervalMs: number;
}

/** The validated server configuration. */
export interface ServerConfig {
  /** Subcommand. */
  readonly command: ServerCommand;
  /** Deployment mode. */
  readonly env: GreeterEnv;
  /** Plaintext and no auth, for learning and local checks (refused in production). */
  readonly basic: boolean;
  /** Listen address. */
  readonly host: string;
  /** Listen port (0 picks a free one). */
  readonly port: number;
  /** Certificate files; both absent means dev certificates (development only). */
  readonly tls: {
    readonly certFile?: string;
    readonly keyFile?: string;
    readonly clientCaFile?: string;
  };
  /** Token settings; secret absent means the generated dev secret (development only). */
  readonly jwt: {
    readonly secret?: string;
    readonly secretFile?: string;
    readonly issuer: string;
    readonly audience: string;
    /** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds (`--jwt-clock-skew`). */
    readonly clockToleranceSeconds: number;
    /** Longest accepted token lifetime (`exp - iat`), in seconds. */
    readonly maxLifetimeSeconds: number;
    /** Accepted algorithms; absent: HS256 with a secret, every asymmetric one with keys. */
    readonly algorithms?: readonly string[];
  };
  /**
   * Where public keys come from, when tokens are asymmetric (then there is no
   * secret): an OpenID issuer, a JWKS URL or a local file.
   */
  readonly keys?: ServerKeysConfig;
  /** Authorization policy file (JSON or YAML), when one is configured. */
  readonly authzFile?: string;
  /** Log settings. */
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
  /** Largest accepted message, in bytes. */
  readonly maxMessageBytes: number;
  /** Time a shutdown keeps accepting calls after health turns `NOT_SERVING`, in ms. */
  readonly shutdownDelayMs: number;
  /** Drain timeout on shutdown, in ms. */
  readonly drainTimeoutMs: number;
  /** Pause between server-stream replies, in ms. */
  readonly streamIntervalMs: number;
  /** Reply bytes a connection may hold for a client that has not read them before writers wait. */
  readonly replyBufferBytes: number;
  /** Reply bytes all connections together may hold before writers wait. */
  readonly replyBufferTotalBytes: number;
  /** Time a streaming call may wait for its client to read before it ends, in ms (0: never). */
  readonly replyStallMs: number;
  /** A connection sending more than this many MB/s for 2 s in a row is closed (0: off). */
  readonly connectionReadLimitMbps: number;
  /** Server processes sharing the port (`GREETER_WORKERS`; `auto` resolved to the cores). */
  readonly workers: number;
  /**
   * Resident memory in MB past which the supervisor replaces a worker
   * (`GREETER_WORKER_MAX_RSS_MB`); 0 turns recycling off. Above 0, the server
   * runs under the supervisor even with one worker.
   */
  readonly workerMaxRssMb: number;
  /** Run even on a Deno release known to crash. */
  readonly allowUnsupportedDeno: boolean;
  /** Server reflection: `on` (no token), `auth` (token needed) or `off`. */
  readonly reflection: "on" | "auth" | "off";
  /** Admin endpoint (metrics, health probes) address; `null` when turned off. */
  readonly admin: { readonly host: string; readonly port: number } | null;
  /** Which calls' spans are exported, as `OTEL_TRACES_SAMPLER` names it, and its ratio. */
  readonly traceSampler: { readonly name: TraceSamplerName; readonly ratio: number };
}

/**
 * The worker memory limit when none is set: {@linkcode DEFAULT_WORKER_MAX_RSS_MB}
 * on a Deno release that leaks per connection, else 0 (off). Workers are Deno
 * processes running `main.ts`: a compiled binary, or a process without
 * permission to run Deno, never recycles unless told.
 *
 * @param version the Deno version @default Deno.version.deno
 * @param canStartWorkers whether this process may start `deno run` workers
 *   @default not a compiled binary, and run permission for Deno granted
 * @returns the limit in MB, 0 for off
 *
 * @example
 * ```ts
 * defaultWorkerMaxRssMb("2.9.3", false); // 192
 * ```
 */
export function defaultWorkerMaxRssMb(
  version: string = Deno.version.deno,
  canStartWorkers: boolean = !Deno.build.standalone &&
    Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state === "granted",
): number {
  return leaksServerMemory(version) && canStartWorkers ? DEFAULT_WORKER_MAX_RSS_MB : 0;
}

/** Most server processes `GREETER_WORKERS` may ask for. */
export const MAX_WORKERS = 256;

function workersCheck(value: string): string | undefined {
  if (value === "auto") return undefined;
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 && n <= MAX_WORKERS
    ? undefined
    : `must be a whole number from 1 to ${MAX_WORKERS}, or auto, got ${JSON.stringify(value)}`;
}

/**
 * The number of server processes a `GREETER_WORKERS` value asks for: the
 * number, or the machine's cores for `auto`.
 *
 * @param value a value that passed the setting's check
 * @param cores the machine's cores @default navigator.hardwareConcurrency
 * @returns how many workers to run
 */
export function workerCount(value: string, cores = navigator.hardwareConcurrency): number {
  return value === "auto" ? Math.max(1, Math.min(cores, MAX_WORKERS)) : Number(value);
}

const blank = (value: string) => value.trim() === "" ? "must not be blank" : undefined;

/** `OTEL_TRACES_SAMPLER_ARG`: a probability. */
function ratioCheck(value: string): string | undefined {
  const ratio = Number(value);
  return value.trim() !== "" && ratio >= 0 && ratio <= 1
    ? undefined
    : "must be a number from 0 to 1";
}

/** A host name or IP address, IPv6 optionally in brackets. */
function hostCheck(value: string): string | undefined {
  const host = unbracket(value);
  return host.trim() === "" || /[\s/]/.test(host)
    ? `must be a host name or IP address, got ${JSON.stringify(value)}`
    : undefined;
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * Every server setting: flag, environment variable, kind, range, default and
 * help. Parsing, validation, `--help`, {@linkcode SERVER_ENV_NAMES} and the
 * README's configuration table all come from this one table.
 */
export const SERVER_SETTINGS = {
  host: {
    flag: "host",
    env: "GREETER_HOST",
    kind: "string",
    default: DEFAULT_HOST,
    valueName: "HOST",
    help: "listen address (::1 and 0.0.0.0 work too)",
    check: hostCheck,
  },
  port: {
    flag: "port",
    env: "GREETER_PORT",
    kind: "int",
    min: 0,
    max: 65535,
    default: DEFAULT_PORT,
    help: "listen port, 0-65535 (0 picks a free one)",
  },
  tlsCert: {
    flag: "tls-cert",
    env: "GREETER_TLS_CERT",
    kind: "path",
    defaultText: "dev certificate (development only)",
    help: "server certificate chain, PEM",
  },
  tlsKey: {
    flag: "tls-key",
    env: "GREETER_TLS_KEY",
    kind: "path",
    defaultText: "dev key (development only)",
    help: "server private key, PEM",
  },
  tlsClientCa: {
    flag: "tls-client-ca",
    env: "GREETER_TLS_CLIENT_CA",
    kind: "path",
    help: "CA for client certificates, PEM; turns on mTLS",
  },
  jwtSecret: {
    env: "GREETER_JWT_SECRET",
    kind: "string",
    defaultText: "generated dev secret (development only)",
    help: `HMAC secret, at least ${MIN_SECRET_BYTES} bytes (no flag, so it never shows in ps)`,
  },
  jwtSecretFile: {
    flag: "jwt-secret-file",
    env: "GREETER_JWT_SECRET_FILE",
    kind: "path",
    help: "file holding the JWT secret (its bytes, less one trailing line break)",
  },
  jwtIssuer: {
    flag: "jwt-issuer",
    env: "GREETER_JWT_ISSUER",
    kind: "string",
    default: DEFAULT_JWT_ISSUER,
    valueName: "ISS",
    help: "required iss",
    check: blank,
  },
  jwtAudience: {
    flag: "jwt-audience",
    env: "GREETER_JWT_AUDIENCE",
    kind: "string",
    default: DEFAULT_JWT_AUDIENCE,
    valueName: "AUD",
    help: "required aud",
    check: blank,
  },
  jwtClockSkew: {
    flag: "jwt-clock-skew",
    env: "GREETER_JWT_CLOCK_SKEW",
    kind: "int",
    min: 0,
    max: MAX_CLOCK_TOLERANCE_SECONDS,
    default: DEFAULT_CLOCK_TOLERANCE_SECONDS,
    valueName: "SECONDS",
    help: `allowed clock difference for exp/nbf/iat, in seconds (0-${MAX_CLOCK_TOLERANCE_SECONDS})`,
  },
  jwtMaxLifetime: {
    flag: "jwt-max-lifetime",
    env: "GREETER_JWT_MAX_LIFETIME",
    kind: "duration",
    default: DEFAULT_MAX_LIFETIME_SECONDS * 1000,
    minMs: 1000,
    defaultText: "86400 s (one day)",
    help: "longest accepted token lifetime (exp - iat), e.g. 60m or 3600",
  },
  jwtAlgorithms: {
    flag: "jwt-algorithms",
    env: "GREETER_JWT_ALGORITHMS",
    kind: "list",
    valueName: "ALGS",
    defaultText: "HS256 (secret); RS256,PS256,ES256,EdDSA (public keys)",
    help: "accepted token algorithms; HMAC and public-key ones never mix",
  },
  oidcIssuer: {
    flag: "oidc-issuer",
    env: "GREETER_OIDC_ISSUER",
    kind: "string",
    valueName: "URL",
    help: "OpenID issuer: keys by discovery, iss must match (https, or http on loopback)",
  },
  jwtJwksUrl: {
    flag: "jwt-jwks-url",
    env: "GREETER_JWT_JWKS_URL",
    kind: "string",
    valueName: "URL",
    help: "JWKS URL of the token signer (https, or http on loopback)",
  },
  jwtPublicKeyFile: {
    flag: "jwt-public-key-file",
    env: "GREETER_JWT_PUBLIC_KEY_FILE",
    kind: "path",
    help: "public key of the token signer: JWKS, JWK or PEM (read at start)",
  },
  oidcCa: {
    flag: "oidc-ca",
    env: "GREETER_OIDC_CA",
    kind: "path",
    defaultText: "system roots",
    help: "CA certificate (PEM) trusted for https to the issuer or JWKS URL",
  },
  jwksTimeout: {
    flag: "jwks-timeout",
    env: "GREETER_JWKS_TIMEOUT",
    kind: "duration",
    default: 3000,
    minMs: 100,
    help: "time one fetch of discovery or keys may take",
  },
  jwksRefresh: {
    flag: "jwks-refresh",
    env: "GREETER_JWKS_REFRESH",
    kind: "duration",
    default: 300_000,
    minMs: 1000,
    help: "how often the keys are fetched again",
  },
  jwksMinRefresh: {
    flag: "jwks-min-refresh",
    env: "GREETER_JWKS_MIN_REFRESH",
    kind: "duration",
    default: 10_000,
    minMs: 0,
    help: "least time between fetches caused by unknown key ids",
  },
  authzFile: {
    flag: "authz-file",
    env: "GREETER_AUTHZ_FILE",
    kind: "path",
    defaultText: "none (any valid token)",
    help: "authorization policy (JSON or YAML): scopes/roles per method or service",
  },
  logLevel: {
    flag: "log-level",
    env: "GREETER_LOG_LEVEL",
    kind: "enum",
    choices: LOG_LEVELS,
    default: "info",
    valueName: "LEVEL",
    help: `log level: ${LOG_LEVELS.join(", ")}`,
  },
  logFormat: {
    flag: "log-format",
    env: "GREETER_LOG_FORMAT",
    kind: "enum",
    choices: ["text", "json"],
    default: "text",
    help: "text (human-readable) or json (one object a line)",
  },
  env: {
    flag: "env",
    env: "GREETER_ENV",
    kind: "enum",
    choices: ["development", "production"],
    default: "development",
    help: "development or production (refuses dev material and plaintext)",
  },
  maxMessageBytes: {
    flag: "max-message-bytes",
    env: "GREETER_MAX_MESSAGE_BYTES",
    kind: "int",
    min: 1024,
    max: 2 ** 31 - 1,
    default: DEFAULT_MAX_MESSAGE_BYTES,
    valueName: "BYTES",
    help: "receive limit per message",
  },
  shutdownDelayMs: {
    flag: "shutdown-delay",
    env: "GREETER_SHUTDOWN_DELAY_MS",
    kind: "int",
    min: 0,
    max: 600_000,
    default: DEFAULT_SHUTDOWN_DELAY_MS,
    valueName: "MS",
    help: "time a shutdown keeps accepting calls after health reports NOT_SERVING, in ms",
  },
  drainTimeoutMs: {
    flag: "drain-timeout",
    env: "GREETER_DRAIN_TIMEOUT_MS",
    kind: "int",
    min: 0,
    max: 600_000,
    default: DEFAULT_DRAIN_TIMEOUT_MS,
    valueName: "MS",
    help: "time in-flight calls get on shutdown, in ms",
  },
  workers: {
    flag: "workers",
    env: "GREETER_WORKERS",
    kind: "string",
    default: "1",
    valueName: "N",
    help: "server processes sharing the port: 1-256, or auto (one per core)",
    check: workersCheck,
  },
  workerMaxRss: {
    flag: "worker-max-rss",
    env: "GREETER_WORKER_MAX_RSS_MB",
    kind: "int",
    min: 0,
    max: 1_048_576,
    valueName: "MB",
    defaultText: `${DEFAULT_WORKER_MAX_RSS_MB} on leaking Deno (2.7-2.9.3), else 0`,
    help: "replace a worker before its resident memory passes this, in MB (0: off)",
  },
  streamIntervalMs: {
    flag: "stream-interval",
    env: "GREETER_STREAM_INTERVAL_MS",
    kind: "int",
    min: 0,
    max: 60_000,
    default: DEFAULT_STREAM_INTERVAL_MS,
    valueName: "MS",
    help: "pause between SayHelloStream replies, in ms (0-60000)",
  },
  replyBuffer: {
    flag: "reply-buffer",
    env: "GREETER_REPLY_BUFFER_BYTES",
    kind: "int",
    min: 16_384,
    max: 2 ** 31 - 1,
    default: DEFAULT_REPLY_BUFFER_BYTES,
    valueName: "BYTES",
    help: "reply bytes a connection may hold unread before streaming handlers wait",
  },
  replyTotal: {
    flag: "reply-total",
    env: "GREETER_REPLY_TOTAL_BYTES",
    kind: "int",
    min: 16_384,
    max: 2 ** 40,
    default: DEFAULT_REPLY_BUFFER_TOTAL_BYTES,
    valueName: "BYTES",
    help: "reply bytes all connections may hold unread before streaming handlers wait",
  },
  replyStall: {
    flag: "reply-stall-timeout",
    env: "GREETER_REPLY_STALL_MS",
    kind: "int",
    min: 0,
    max: 3_600_000,
    default: DEFAULT_REPLY_STALL_MS,
    valueName: "MS",
    help: "a streaming call whose client reads nothing this long ends, in ms (0: never)",
  },
  connectionReadLimit: {
    flag: "read-limit",
    env: "GREETER_READ_LIMIT_MBPS",
    kind: "int",
    min: 0,
    max: 100_000,
    default: 0,
    valueName: "MBPS",
    help: "close a connection that sends more than this many MB/s for 2 s (0: off)",
  },
  reflection: {
    flag: "reflection",
    env: "GREETER_REFLECTION",
    kind: "enum",
    choices: ["on", "auth", "off"],
    default: "on",
    help: "server reflection: on (no token needed; it shows only the schema), auth, or off",
  },
  admin: {
    flag: "admin",
    env: "GREETER_ADMIN",
    kind: "enum",
    choices: ["on", "off"],
    default: "on",
    help: "admin endpoint (plaintext HTTP: /metrics, /healthz, /readyz): on or off",
  },
  adminHost: {
    flag: "admin-host",
    env: "GREETER_ADMIN_HOST",
    kind: "string",
    default: DEFAULT_ADMIN_HOST,
    valueName: "HOST",
    help: "admin endpoint address (0.0.0.0 for Kubernetes probes)",
    check: hostCheck,
  },
  adminPort: {
    flag: "admin-port",
    env: "GREETER_ADMIN_PORT",
    kind: "int",
    min: 0,
    max: 65535,
    default: DEFAULT_ADMIN_PORT,
    help: "admin endpoint port, 0-65535 (0 picks a free one)",
  },
  traceSampler: {
    flag: "trace-sampler",
    env: "OTEL_TRACES_SAMPLER",
    kind: "enum",
    choices: TRACE_SAMPLERS,
    default: "parentbased_always_on",
    valueName: "NAME",
    help: "spans exported: [parentbased_]always_on, always_off or traceidratio",
  },
  traceSamplerArg: {
    flag: "trace-sampler-arg",
    env: "OTEL_TRACES_SAMPLER_ARG",
    kind: "string",
    default: "1",
    valueName: "RATIO",
    help: "share of new traces the traceidratio samplers export, 0-1",
    check: ratioCheck,
  },
  basic: {
    flag: "basic",
    kind: "switch",
    help: "plaintext and no auth, for learning and local checks (refused in production)",
  },
  allowUnsupportedDeno: {
    flag: "allow-unsupported-deno",
    kind: "switch",
    help: "start even on a Deno release known to crash gRPC",
  },
  help: { flag: "help", kind: "switch", help: "print this help" },
} as const satisfies SettingsTable;

/** Subcommands of `main.ts`; none means `serve`. */
const SERVER_COMMANDS = ["serve", "certs"] as const;

/** Environment variables the server reads (besides grpc-js's own `GRPC_*`). */
export const SERVER_ENV_NAMES: readonly string[] = envNames(SERVER_SETTINGS);

/** Help text for `main.ts --help`, generated from {@linkcode SERVER_SETTINGS}. */
export function serverUsage(): string {
  return [
    "Usage: deno task server [flags]        serve the Greeter (TLS + JWT by default)",
    "       deno task server:basic          plaintext, no auth (development only)",
    "       deno task certs                 generate development certificates",
    "",
    "Settings (flag, then environment variable in brackets; flags win):",
    ...usageLines(SERVER_SETTINGS),
    "",
    "The JWT secret comes from GREETER_JWT_SECRET or --jwt-secret-file, never from a flag value.",
    "Asymmetric tokens: give one of --oidc-issuer, --jwt-jwks-url, --jwt-public-key-file instead.",
  ].join("\n");
}

/**
 * Builds the server configuration from command-line `args` and an environment
 * map (only the variables in {@linkcode SERVER_ENV_NAMES} are looked at).
 *
 * @throws {ConfigError} on any mistake, with one line naming the setting
 */
export function loadServerConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServerConfig {
  const { command, values, label, sources } = readSettings(SERVER_SETTINGS, args, env, {
    commands: SERVER_COMMANDS,
  });
  const mode = values.env;
  const basic = values.basic;
  const certFile = values.tlsCert;
  const keyFile = values.tlsKey;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(
      certFile === undefined
        ? `${label("tlsKey")} is set but GREETER_TLS_CERT / --tls-cert is not: give both or neither`
        : `${label("tlsCert")} is set but GREETER_TLS_KEY / --tls-key is not: give both or neither`,
    );
  }
  const clientCaFile = values.tlsClientCa;
  if (basic && (certFile !== undefined || clientCaFile !== undefined)) {
    throw new ConfigError(
      "--basic serves plaintext without auth: it cannot be combined with TLS settings " +
        "(GREETER_TLS_CERT / GREETER_TLS_KEY / GREETER_TLS_CLIENT_CA)",
    );
  }
  const secret = values.jwtSecret;
  const secretFile = values.jwtSecretFile;
  if (secret !== undefined && secretFile !== undefined) {
    throw new ConfigError("GREETER_JWT_SECRET and the JWT secret file are both set: give one");
  }
  const keySettings = (["oidcIssuer", "jwtJwksUrl", "jwtPublicKeyFile"] as const)
    .filter((key) => values[key] !== undefined);
  if (keySettings.length > 1) {
    throw new ConfigError(
      `${
        keySettings.map(label).join(" and ")
      } are both set: tokens are verified with one key source`,
    );
  }
  const keySetting = keySettings[0];
  if (keySetting !== undefined && (secret !== undefined || secretFile !== undefined)) {
    throw new ConfigError(
      `${label(keySetting)} and ${
        secret !== undefined ? "GREETER_JWT_SECRET" : label("jwtSecretFile")
      } are both set: tokens are either HMAC (a shared secret) or asymmetric (public keys), give one`,
    );
  }
  if (basic && (keySetting !== undefined || values.authzFile !== undefined)) {
    throw new ConfigError(
      `--basic serves without auth: it cannot be combined with ${label(keySetting ?? "authzFile")}`,
    );
  }
  const identityOnly = (["oidcCa", "jwksTimeout", "jwksRefresh", "jwksMinRefresh"] as const)
    .find((key) => sources[key] !== "default");
  if (
    identityOnly !== undefined && (keySetting === undefined || keySetting === "jwtPublicKeyFile")
  ) {
    throw new ConfigError(
      `${
        label(identityOnly)
      } applies to GREETER_OIDC_ISSUER or GREETER_JWT_JWKS_URL, and neither is set`,
    );
  }
  for (const key of ["oidcIssuer", "jwtJwksUrl"] as const) {
    const url = values[key];
    if (url === undefined) continue;
    try {
      checkProviderUrl(url, label(key));
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  let issuer = values.jwtIssuer;
  if (values.oidcIssuer !== undefined) {
    if (sources.jwtIssuer !== "default" && values.jwtIssuer !== values.oidcIssuer) {
      throw new ConfigError(
        `${label("jwtIssuer")} (${values.jwtIssuer}) differs from ${
          label("oidcIssuer")
        } (${values.oidcIssuer}): tokens carry the issuer's own name; drop the former`,
      );
    }
    issuer = values.oidcIssuer;
  }
  const algorithms = values.jwtAlgorithms.length === 0 ? undefined : values.jwtAlgorithms;
  if (algorithms !== undefined) {
    const asymmetric = keySetting !== undefined;
    const allowed: readonly string[] = asymmetric
      ? ASYMMETRIC_ALGORITHMS
      : ["HS256", "HS384", "HS512"];
    const wrong = algorithms.find((alg) => !allowed.includes(alg));
    if (wrong !== undefined) {
      throw new ConfigError(
        `${label("jwtAlgorithms")}: ${wrong} cannot be used with ${
          asymmetric ? "public keys" : "a shared secret"
        } (allowed: ${allowed.join(", ")})`,
      );
    }
  }
  if (secret !== undefined && new TextEncoder().encode(secret).byteLength < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `GREETER_JWT_SECRET is ${new TextEncoder().encode(secret).byteLength} bytes; ` +
        `at least ${MIN_SECRET_BYTES} are required`,
    );
  }
  const serving = (command ?? "serve") === "serve" && !values.help;
  if (mode === "production" && serving) {
    if (basic) throw new ConfigError("--basic (plaintext, no auth) is refused in production");
    if (certFile === undefined) {
      throw new ConfigError(
        "production needs real certificates: set GREETER_TLS_CERT and GREETER_TLS_KEY",
      );
    }
    if (secret === undefined && secretFile === undefined && keySetting === undefined) {
      throw new ConfigError(
        "production needs an explicit JWT secret or key source: set GREETER_JWT_SECRET, " +
          "GREETER_JWT_SECRET_FILE, GREETER_OIDC_ISSUER, GREETER_JWT_JWKS_URL or " +
          "GREETER_JWT_PUBLIC_KEY_FILE",
      );
    }
  }

  const host = values.host;
  const config: ServerConfig = {
    command: values.help ? "help" : (command ?? "serve") as ServerCommand,
    env: mode,
    basic,
    host: host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host,
    port: values.port,
    tls: { certFile, keyFile, clientCaFile },
    jwt: {
      secret,
      secretFile,
      issuer,
      audience: values.jwtAudience,
      clockToleranceSeconds: values.jwtClockSkew,
      maxLifetimeSeconds: Math.ceil(values.jwtMaxLifetime / 1000),
      ...(algorithms === undefined ? {} : { algorithms }),
    },
    ...(keySetting === undefined ? {} : {
      keys: {
        kind: keySetting === "oidcIssuer" ? "oidc" : keySetting === "jwtJwksUrl" ? "jwks" : "file",
        location: values[keySetting]!,
        ...(values.oidcCa === undefined ? {} : { caFile: values.oidcCa }),
        fetchTimeoutMs: values.jwksTimeout,
        refreshIntervalMs: values.jwksRefresh,
        minRefreshIntervalMs: values.jwksMinRefresh,
      },
    }),
    ...(values.authzFile === undefined ? {} : { authzFile: values.authzFile }),
    log: { level: values.logLevel, format: values.logFormat },
    maxMessageBytes: values.maxMessageBytes,
    shutdownDelayMs: values.shutdownDelayMs,
    drainTimeoutMs: values.drainTimeoutMs,
    streamIntervalMs: values.streamIntervalMs,
    replyBufferBytes: values.replyBuffer,
    replyBufferTotalBytes: values.replyTotal,
    replyStallMs: values.replyStall,
    connectionReadLimitMbps: values.connectionReadLimit,
    workers: workerCount(values.workers),
    workerMaxRssMb: values.workerMaxRss ?? defaultWorkerMaxRssMb(),
    allowUnsupportedDeno: values.allowUnsupportedDeno,
    reflection: values.reflection,
    admin: values.admin === "off"
      ? null
      : { host: unbracket(values.adminHost), port: values.adminPort },
    traceSampler: {
      name: values.traceSampler as TraceSamplerName,
      ratio: Number(values.traceSamplerArg),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
