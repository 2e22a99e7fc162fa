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
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PORT,
} from "../shared/defaults.ts";
import { MIN_SECRET_BYTES } from "../auth/jwt.ts";
import { LOG_LEVELS, type LogFormat } from "../shared/log.ts";

/** A user's configuration mistake: print `message`, no stack, exit non-zero. */
export class ConfigError extends Error {
  /**
   * Builds the error.
   * @param message one line naming the setting and what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Deployment mode: production refuses dev secrets, dev certificates and plaintext. */
export type GreeterEnv = "development" | "production";

/** What `main.ts` was asked to do. */
export type ServerCommand = "serve" | "certs" | "help";

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
    readonly clockSkewSeconds: number;
  };
  /** Log settings. */
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
  /** Largest accepted message, in bytes. */
  readonly maxMessageBytes: number;
  /** Drain timeout on shutdown, in ms. */
  readonly drainTimeoutMs: number;
  /** Pause between server-stream replies, in ms. */
  readonly streamIntervalMs: number;
  /** Run even on a Deno release known to crash. */
  readonly allowUnsupportedDeno: boolean;
}

interface Setting {
  flag: string;
  env?: string;
  boolean?: boolean;
  help: string;
}

/** Every setting: its flag, its environment variable and its help line. */
export const SERVER_SETTINGS: readonly Setting[] = [
  { flag: "host", env: "GREETER_HOST", help: `listen address (default ${DEFAULT_HOST})` },
  { flag: "port", env: "GREETER_PORT", help: `listen port, 0-65535 (default ${DEFAULT_PORT})` },
  { flag: "tls-cert", env: "GREETER_TLS_CERT", help: "server certificate chain (PEM file)" },
  { flag: "tls-key", env: "GREETER_TLS_KEY", help: "server private key (PEM file)" },
  {
    flag: "tls-client-ca",
    env: "GREETER_TLS_CLIENT_CA",
    help: "CA for client certificates; turns on mTLS (PEM file)",
  },
  {
    flag: "jwt-secret-file",
    env: "GREETER_JWT_SECRET_FILE",
    help: `file holding the JWT secret (>= ${MIN_SECRET_BYTES} bytes); or set GREETER_JWT_SECRET`,
  },
  {
    flag: "jwt-issuer",
    env: "GREETER_JWT_ISSUER",
    help: `required iss (default ${DEFAULT_JWT_ISSUER})`,
  },
  {
    flag: "jwt-audience",
    env: "GREETER_JWT_AUDIENCE",
    help: `required aud (default ${DEFAULT_JWT_AUDIENCE})`,
  },
  {
    flag: "jwt-clock-skew",
    env: "GREETER_JWT_CLOCK_SKEW",
    help: "allowed clock difference for exp/nbf/iat, 0-300 s (default 5)",
  },
  { flag: "log-level", env: "GREETER_LOG_LEVEL", help: `${LOG_LEVELS.join("|")} (default info)` },
  { flag: "log-format", env: "GREETER_LOG_FORMAT", help: "text|json (default text)" },
  { flag: "env", env: "GREETER_ENV", help: "development|production (default development)" },
  {
    flag: "max-message-bytes",
    env: "GREETER_MAX_MESSAGE_BYTES",
    help: `largest accepted message (default ${DEFAULT_MAX_MESSAGE_BYTES})`,
  },
  {
    flag: "drain-timeout",
    env: "GREETER_DRAIN_TIMEOUT_MS",
    help: `ms in-flight calls get on shutdown (default ${DEFAULT_DRAIN_TIMEOUT_MS})`,
  },
  {
    flag: "stream-interval",
    env: "GREETER_STREAM_INTERVAL_MS",
    help: "ms between SayHelloStream replies, 0-60000 (default 0)",
  },
  { flag: "basic", boolean: true, help: "plaintext, no auth: for learning and local checks" },
  {
    flag: "allow-unsupported-deno",
    boolean: true,
    help: "start even on a Deno release known to crash gRPC",
  },
  { flag: "help", boolean: true, help: "print this help" },
];

/** Environment variables the server reads (besides grpc-js's own `GRPC_*`). */
export const SERVER_ENV_NAMES: readonly string[] = [
  ...SERVER_SETTINGS.flatMap((s) => (s.env ? [s.env] : [])),
  "GREETER_JWT_SECRET",
];

/** Help text for `main.ts --help`. */
export function serverUsage(): string {
  const lines = SERVER_SETTINGS.map((s) =>
    `  --${s.flag}${s.boolean ? "" : " VALUE"}`.padEnd(30) + s.help + (s.env ? ` [${s.env}]` : "")
  );
  return [
    "Usage: deno task server [flags]        serve the Greeter (TLS + JWT by default)",
    "       deno task server:basic          plaintext, no auth (development only)",
    "       deno task certs                 generate development certificates",
    "",
    "Flags (flags win over environment variables):",
    ...lines,
    "",
    "The JWT secret comes from GREETER_JWT_SECRET or --jwt-secret-file, never from a flag value.",
  ].join("\n");
}

/** Splits `args` into a subcommand and `--flag[=value]` settings. */
export function parseFlags(
  args: readonly string[],
  settings: readonly Setting[],
  commands: readonly string[],
): { command?: string; values: Map<string, string> } {
  const known = new Map(settings.map((s) => [s.flag, s]));
  const values = new Map<string, string>();
  let command: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      if (command === undefined && commands.includes(arg)) {
        command = arg;
        continue;
      }
      throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const setting = known.get(name);
    if (setting === undefined) throw new ConfigError(`unknown flag --${name} (see --help)`);
    if (setting.boolean) {
      if (eq !== -1 && !["true", "false"].includes(arg.slice(eq + 1))) {
        throw new ConfigError(`--${name} takes no value`);
      }
      values.set(name, eq === -1 ? "true" : arg.slice(eq + 1));
      continue;
    }
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith("--"))) {
      throw new ConfigError(`--${name} needs a value`);
    }
    values.set(name, value);
  }
  return { command, values };
}

/** Reads a whole number in `[min, max]`, naming `label` when it is not one. */
export function intSetting(raw: string, label: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${label} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** Reads one of `choices`, naming `label` when it is not one. */
export function choiceSetting<T extends string>(
  raw: string,
  label: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${label} must be one of ${choices.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * Builds the server configuration from command-line `args` and an environment
 * map (only `GREETER_*` names are looked at).
 *
 * @throws {ConfigError} on any mistake, with one line naming the setting
 */
export function loadServerConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServerConfig {
  const { command, values } = parseFlags(args, SERVER_SETTINGS, ["serve", "certs"]);
  const label = (flag: string) => {
    const setting = SERVER_SETTINGS.find((s) => s.flag === flag)!;
    return values.has(flag) || !setting.env ? `--${flag}` : setting.env;
  };
  const get = (flag: string): string | undefined => {
    if (values.has(flag)) return values.get(flag);
    const name = SERVER_SETTINGS.find((s) => s.flag === flag)?.env;
    const value = name === undefined ? undefined : env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const flag = (name: string) => get(name) === "true";

  const mode = choiceSetting(
    get("env") ?? "development",
    label("env"),
    [
      "development",
      "production",
    ] as const,
  );
  const basic = flag("basic");
  const certFile = get("tls-cert");
  const keyFile = get("tls-key");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(
      certFile === undefined
        ? `${
          label("tls-key")
        } is set but GREETER_TLS_CERT / --tls-cert is not: give both or neither`
        : `${
          label("tls-cert")
        } is set but GREETER_TLS_KEY / --tls-key is not: give both or neither`,
    );
  }
  const clientCaFile = get("tls-client-ca");
  if (basic && (certFile !== undefined || clientCaFile !== undefined)) {
    throw new ConfigError(
      "--basic serves plaintext without auth: it cannot be combined with TLS settings " +
        "(GREETER_TLS_CERT / GREETER_TLS_KEY / GREETER_TLS_CLIENT_CA)",
    );
  }
  const secret = env["GREETER_JWT_SECRET"] || undefined;
  const secretFile = get("jwt-secret-file");
  if (secret !== undefined && secretFile !== undefined) {
    throw new ConfigError("GREETER_JWT_SECRET and the JWT secret file are both set: give one");
  }
  if (secret !== undefined && new TextEncoder().encode(secret).byteLength < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `GREETER_JWT_SECRET is ${new TextEncoder().encode(secret).byteLength} bytes; ` +
        `at least ${MIN_SECRET_BYTES} are required`,
    );
  }
  const serving = (command ?? "serve") === "serve" && !flag("help");
  if (mode === "production" && serving) {
    if (basic) throw new ConfigError("--basic (plaintext, no auth) is refused in production");
    if (certFile === undefined) {
      throw new ConfigError(
        "production needs real certificates: set GREETER_TLS_CERT and GREETER_TLS_KEY",
      );
    }
    if (secret === undefined && secretFile === undefined) {
      throw new ConfigError(
        "production needs an explicit JWT secret: set GREETER_JWT_SECRET or GREETER_JWT_SECRET_FILE",
      );
    }
  }

  const config: ServerConfig = {
    command: flag("help") ? "help" : (command ?? "serve") as ServerCommand,
    env: mode,
    basic,
    host: parseHost(get("host") ?? DEFAULT_HOST, label("host")),
    port: intSetting(get("port") ?? String(DEFAULT_PORT), label("port"), 0, 65535),
    tls: { certFile, keyFile, clientCaFile },
    jwt: {
      secret,
      secretFile,
      issuer: nonBlank(get("jwt-issuer") ?? DEFAULT_JWT_ISSUER, label("jwt-issuer")),
      audience: nonBlank(get("jwt-audience") ?? DEFAULT_JWT_AUDIENCE, label("jwt-audience")),
      clockSkewSeconds: intSetting(get("jwt-clock-skew") ?? "5", label("jwt-clock-skew"), 0, 300),
    },
    log: {
      level: choiceSetting(get("log-level") ?? "info", label("log-level"), LOG_LEVELS),
      format: choiceSetting(
        get("log-format") ?? "text",
        label("log-format"),
        [
          "text",
          "json",
        ] as const,
      ),
    },
    maxMessageBytes: intSetting(
      get("max-message-bytes") ?? String(DEFAULT_MAX_MESSAGE_BYTES),
      label("max-message-bytes"),
      1024,
      2 ** 31 - 1,
    ),
    drainTimeoutMs: intSetting(
      get("drain-timeout") ?? String(DEFAULT_DRAIN_TIMEOUT_MS),
      label("drain-timeout"),
      0,
      600_000,
    ),
    streamIntervalMs: intSetting(
      get("stream-interval") ?? "0",
      label("stream-interval"),
      0,
      60_000,
    ),
    allowUnsupportedDeno: flag("allow-unsupported-deno"),
  };
  return deepFreeze(config);
}

function nonBlank(value: string, label: string): string {
  if (value.trim() === "") throw new ConfigError(`${label} must not be blank`);
  return value;
}

function parseHost(value: string, label: string): string {
  const host = value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value;
  if (host.trim() === "" || /[\s/]/.test(host)) {
    throw new ConfigError(`${label} must be a host name or IP address, got "${value}"`);
  }
  return host;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Reads the given environment variables (each needs `--allow-env` for its name). */
export function readEnv(names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, Deno.env.get(name)]));
}
