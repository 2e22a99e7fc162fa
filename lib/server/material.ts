/**
 * Turns a validated {@linkcode ServerConfig} into the material the server
 * needs: TLS PEMs and the JWT secret. In development, missing certificates and
 * a missing secret are generated once (git-ignored); in production nothing is
 * generated and development material is refused.
 *
 * @module
 */
import { encodeBase64Url } from "../shared/_base64url.ts";
import { DEV_CA_NAME, DEV_CERT_FILES, ensureDevCertificates } from "../shared/dev_certs.ts";
import { ConfigError } from "../cli/config_error.ts";
import type { ServerConfig } from "./config.ts";
import { inspectTlsMaterial, type ServerTlsMaterial } from "./credentials.ts";
import { dirname } from "node:path";
import { DEV_CERTS_DIR, DEV_SECRET_FILE } from "../shared/defaults.ts";
import { type AuthzPolicy, parseAuthzPolicy, PolicyError } from "../auth/authz_policy.ts";
import {
  type AsymmetricAlgorithm,
  fileKeySource,
  jwksUrlKeySource,
  type KeySource,
  type KeySourceEvent,
  oidcKeySource,
} from "../auth/jwks.ts";
import { assertSecret, type HmacAlgorithm } from "../auth/jwt.ts";
import { loadGreeterProto } from "../shared/proto.ts";
import { readSecretFile } from "../auth/secret_file.ts";
import type { ServerAuthOptions } from "./greeter_server.ts";

/** Where dev material lives; tests point these at a temporary directory. */
export interface DevPaths {
  /** Directory of the development certificates. @default DEV_CERTS_DIR */
  certsDir: string;
  /** File of the generated development JWT secret. @default DEV_SECRET_FILE */
  secretFile: string;
}

/** What the server will run with, and what was generated for it. */
export interface ServerMaterial {
  /** TLS PEMs, or `null` in basic mode. */
  tls: ServerTlsMaterial | null;
  /** Token checks, or `null` in basic mode. */
  auth: ServerAuthOptions | null;
  /**
   * The public-key source inside `auth`, when tokens are asymmetric; the
   * caller closes it after the server stops.
   */
  keys?: KeySource;
  /**
   * Why the keys could not be loaded at start (development only: production
   * refuses to start); the caller retries until they load.
   */
  keysPending?: string;
  /** Human-readable notes on generated or development material. */
  notes: string[];
}

/** Options for {@linkcode resolveServerMaterial}. */
export interface MaterialOptions {
  /** Where development material lives. @default DEV_CERTS_DIR and DEV_SECRET_FILE */
  devPaths?: DevPaths;
  /** Clock in ms since the epoch, for certificate expiry. @default Date.now */
  now?: () => number;
  /** Receives key refreshes and failed fetches, for the log. @default ignore */
  onKeyEvent?: (event: KeySourceEvent) => void;
}

/**
 * Every method the Greeter server serves, so a policy naming another one (a
 * typo) is refused at start-up.
 */
export function servedMethods(): string[] {
  const greeter = Object.values(loadGreeterProto().helloworld.Greeter.service)
    .map((method) => method.path.slice(1));
  return [
    ...greeter,
    "grpc.health.v1.Health/Check",
    "grpc.health.v1.Health/Watch",
    "grpc.health.v1.Health/List",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  ];
}

const DEFAULT_DEV_PATHS: DevPaths = { certsDir: DEV_CERTS_DIR, secretFile: DEV_SECRET_FILE };

/**
 * Reads (or, in development, creates) the TLS material and JWT secret.
 *
 * @throws {ConfigError} naming the setting, for unreadable files, half pairs,
 *   short secrets, or development material in production
 */
export async function resolveServerMaterial(
  config: ServerConfig,
  options: MaterialOptions = {},
): Promise<ServerMaterial> {
  const devPaths = options.devPaths ?? DEFAULT_DEV_PATHS;
  const now = options.now ?? Date.now;
  const notes: string[] = [];
  if (config.basic) {
    notes.push("basic mode: plaintext and no auth; for learning and local checks only");
    return { tls: null, auth: null, notes };
  }

  let tls: ServerTlsMaterial;
  if (config.tls.certFile !== undefined && config.tls.keyFile !== undefined) {
    tls = {
      cert: await readPem(config.tls.certFile, "GREETER_TLS_CERT / --tls-cert"),
      key: await readPem(config.tls.keyFile, "GREETER_TLS_KEY / --tls-key"),
    };
  } else {
    const result = await ensureDevCertificates(devPaths.certsDir).catch((error: Error) => {
      throw new ConfigError(error.message);
    });
    notes.push(
      result.created
        ? `generated development certificates in ${result.dir} (clients trust ${result.paths.caCert})`
        : `using development certificates from ${result.dir}`,
    );
    tls = {
      cert: await readPem(result.paths.serverCert, "development certificate"),
      key: await readPem(result.paths.serverKey, "development key"),
    };
  }
  if (config.tls.clientCaFile !== undefined) {
    tls.clientCa = await readPem(
      config.tls.clientCaFile,
      "GREETER_TLS_CLIENT_CA / --tls-client-ca",
    );
  }
  let facts;
  try {
    facts = inspectTlsMaterial(tls);
  } catch (error) {
    throw new ConfigError(`GREETER_TLS_CERT / GREETER_TLS_KEY: ${(error as Error).message}`);
  }
  if (facts.validTo.getTime() < now()) {
    const message = `the TLS certificate expired on ${facts.validTo.toISOString()}`;
    if (config.env === "production") throw new ConfigError(message);
    notes.push(`${message}; delete the files in ${devPaths.certsDir} to regenerate them`);
  }
  if (config.env === "production") await refuseDevCertificate(tls, facts.issuer, devPaths);

  let policy: AuthzPolicy | undefined;
  if (config.authzFile !== undefined) {
    const text = await readText(config.authzFile, "GREETER_AUTHZ_FILE / --authz-file");
    try {
      policy = parseAuthzPolicy(text, {
        where: `GREETER_AUTHZ_FILE (${config.authzFile})`,
        knownMethods: servedMethods(),
      });
    } catch (error) {
      if (error instanceof PolicyError) throw new ConfigError(error.message);
      throw error;
    }
  }
  const common = {
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    maxLifetimeSeconds: config.jwt.maxLifetimeSeconds,
    ...(policy === undefined ? {} : { policy }),
  };

  if (config.keys !== undefined) {
    const { keys, pending } = await loadKeys(config, options);
    return {
      tls,
      auth: {
        ...common,
        keys,
        ...(config.jwt.algorithms === undefined
          ? {}
          : { algorithms: config.jwt.algorithms as AsymmetricAlgorithm[] }),
      },
      keys,
      ...(pending === undefined ? {} : { keysPending: pending }),
      notes: [...notes, `tokens verified with public keys from ${keys.description}`],
    };
  }

  let secret: Uint8Array;
  if (config.jwt.secret !== undefined) {
    secret = new TextEncoder().encode(config.jwt.secret);
  } else if (config.jwt.secretFile !== undefined) {
    secret = await readFileOr(
      () => readSecretFile(config.jwt.secretFile!),
      config.jwt.secretFile,
      "GREETER_JWT_SECRET_FILE / --jwt-secret-file",
    );
  } else {
    const dev = await loadOrCreateDevSecret(devPaths.secretFile);
    if (dev.created) notes.push(`generated a development JWT secret in ${devPaths.secretFile}`);
    secret = dev.secret;
  }
  try {
    assertSecret(secret);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (config.env === "production") {
    const dev = await readSecretFile(devPaths.secretFile).catch(() => undefined);
    if (dev !== undefined && equalBytes(dev, secret)) {
      throw new ConfigError("the JWT secret is the development secret; production needs its own");
    }
  }

  return {
    tls,
    auth: {
      ...common,
      secret,
      ...(config.jwt.algorithms === undefined
        ? {}
        : { algorithms: config.jwt.algorithms as HmacAlgorithm[] }),
    },
    notes,
  };
}

/**
 * Builds the key source and loads it once. Production refuses to start
 * without keys; development starts anyway and reports why (the caller retries).
 */
async function loadKeys(
  config: ServerConfig,
  options: MaterialOptions,
): Promise<{ keys: KeySource; pending?: string }> {
  const spec = config.keys!;
  const setting = spec.kind === "oidc"
    ? "GREETER_OIDC_ISSUER"
    : spec.kind === "jwks"
    ? "GREETER_JWT_JWKS_URL"
    : "GREETER_JWT_PUBLIC_KEY_FILE";
  let keys: KeySource;
  if (spec.kind === "file") {
    keys = fileKeySource({ path: spec.location });
  } else {
    const caCerts = spec.caFile === undefined
      ? undefined
      : [await readPem(spec.caFile, "GREETER_OIDC_CA / --oidc-ca")];
    const remote = {
      fetchTimeoutMs: spec.fetchTimeoutMs,
      refreshIntervalMs: spec.refreshIntervalMs,
      minRefreshIntervalMs: spec.minRefreshIntervalMs,
      ...(caCerts === undefined ? {} : { caCerts }),
      ...(options.onKeyEvent === undefined ? {} : { onEvent: options.onKeyEvent }),
    };
    keys = spec.kind === "oidc"
      ? oidcKeySource({ ...remote, issuer: spec.location })
      : jwksUrlKeySource({ ...remote, url: spec.location });
  }
  try {
    await keys.ready();
    return { keys };
  } catch (error) {
    const reason = `${setting}: ${(error as Error).message}`;
    // A key file is read locally: a mistake there is never worth waiting for.
    if (config.env === "production" || spec.kind === "file") {
      keys.close();
      throw new ConfigError(reason);
    }
    return { keys, pending: reason };
  }
}

/**
 * Reads the development secret, creating it (32 random bytes, base64url,
 * mode 0600) on first use. Safe against two processes starting at once.
 */
export async function loadOrCreateDevSecret(
  path: string = DEV_SECRET_FILE,
): Promise<{ secret: Uint8Array; created: boolean }> {
  try {
    return { secret: await readSecretFile(path), created: false };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const secret = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.mkdir(dirname(path), { recursive: true });
  try {
    await Deno.writeTextFile(path, secret, { createNew: true, mode: 0o600 });
    return { secret: new TextEncoder().encode(secret), created: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return { secret: await readSecretFile(path), created: false };
  }
}

/**
 * Refuses, in production, a certificate issued by a generated development CA
 * or a byte-for-byte copy of the development certificate or key, wherever it
 * was copied to.
 */
async function refuseDevCertificate(
  tls: ServerTlsMaterial,
  issuer: string,
  devPaths: DevPaths,
): Promise<void> {
  if (issuer.includes(DEV_CA_NAME)) {
    throw new ConfigError(
      `GREETER_TLS_CERT was issued by a development CA (${issuer}); production needs a real certificate`,
    );
  }
  for (const [name, mine] of [["serverCert", tls.cert], ["serverKey", tls.key]] as const) {
    const dev = await Deno.readTextFile(`${devPaths.certsDir}/${DEV_CERT_FILES[name]}`)
      .catch(() => undefined);
    if (dev !== undefined && dev.trim() === mine.trim()) {
      throw new ConfigError(
        `${name === "serverCert" ? "GREETER_TLS_CERT" : "GREETER_TLS_KEY"} is the development ` +
          "one; production needs real certificates",
      );
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function readText(path: string, setting: string): Promise<string> {
  return await readFileOr(() => Deno.readTextFile(path), path, setting);
}

/**
 * Where deployments keep certificates and secrets, readable under the server's
 * permission set besides the project (keep in step with `deno.json`'s
 * `permissions.server.read`): a directory of the operator's, Docker and
 * Kubernetes secrets, and Let's Encrypt's certbot (whose `live/` links point
 * into `archive/`).
 */
export const SECRET_DIRS: readonly string[] = [
  "/etc/greeter",
  "/run/secrets",
  "/var/run/secrets",
  "/etc/letsencrypt/live",
  "/etc/letsencrypt/archive",
];

async function readFileOr<T>(read: () => Promise<T>, path: string, setting: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new ConfigError(
        `${setting}: cannot read ${path}: the server's permission set (-P=server) reads only ` +
          `the project and ${SECRET_DIRS.join(", ")}; move the file there, or run ` +
          `"deno run -q -P=server --allow-read=.,${dirname(path)} main.ts" from the project ` +
          "(a command-line --allow-read replaces the set's list, so repeat the project)",
      );
    }
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message;
    throw new ConfigError(`${setting}: cannot read ${path}: ${reason}`);
  }
}

async function readPem(path: string, setting: string): Promise<string> {
  const text = await readText(path, setting);
  if (!text.includes("-----BEGIN ")) throw new ConfigError(`${setting}: ${path} is not a PEM file`);
  return text.trim() + "\n";
}
