/**
 * Turns a validated {@linkcode ServerConfig} into the material the server
 * needs: TLS PEMs and the JWT secret. In development, missing certificates and
 * a missing secret are generated once (git-ignored); in production nothing is
 * generated and development material is refused.
 *
 * @module
 */
import { encodeBase64Url } from "./_base64url.ts";
import { ensureDevCertificates } from "./certs.ts";
import { ConfigError, type ServerConfig } from "./config.ts";
import type { ServerTlsMaterial } from "./credentials.ts";
import { DEV_CERTS_DIR, DEV_SECRET_FILE, DEV_STATE_DIR } from "./defaults.ts";
import { assertSecret } from "./auth/jwt.ts";
import type { ServerAuthOptions } from "./server.ts";

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
  /** Human-readable notes on generated or development material. */
  notes: string[];
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
  devPaths: DevPaths = DEFAULT_DEV_PATHS,
): Promise<ServerMaterial> {
  const notes: string[] = [];
  if (config.basic) {
    notes.push("basic mode: plaintext and no auth; for learning and local checks only");
    return { tls: null, auth: null, notes };
  }

  let tls: ServerTlsMaterial;
  if (config.tls.certFile !== undefined && config.tls.keyFile !== undefined) {
    if (config.env === "production" && isInside(config.tls.certFile, devPaths.certsDir)) {
      throw new ConfigError(
        `GREETER_TLS_CERT points at the development certificates (${config.tls.certFile}); ` +
          "production needs real ones",
      );
    }
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

  let secret: string;
  if (config.jwt.secret !== undefined) {
    secret = config.jwt.secret;
  } else if (config.jwt.secretFile !== undefined) {
    if (config.env === "production" && samePath(config.jwt.secretFile, devPaths.secretFile)) {
      throw new ConfigError(
        "GREETER_JWT_SECRET_FILE is the development secret; production needs its own",
      );
    }
    secret = await readText(config.jwt.secretFile, "GREETER_JWT_SECRET_FILE / --jwt-secret-file");
  } else {
    const dev = await loadOrCreateDevSecret(devPaths.secretFile);
    if (dev.created) notes.push(`generated a development JWT secret in ${devPaths.secretFile}`);
    secret = dev.secret;
  }
  const secretBytes = new TextEncoder().encode(secret);
  try {
    assertSecret(secretBytes);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (config.env === "production") {
    const dev = await Deno.readTextFile(devPaths.secretFile).catch(() => undefined);
    if (dev !== undefined && dev.trim() === secret) {
      throw new ConfigError("the JWT secret is the development secret; production needs its own");
    }
  }

  return {
    tls,
    auth: {
      secret: secretBytes,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      clockToleranceSeconds: config.jwt.clockSkewSeconds,
    },
    notes,
  };
}

/**
 * Reads the development secret, creating it (32 random bytes, base64url,
 * mode 0600) on first use. Safe against two processes starting at once.
 */
export async function loadOrCreateDevSecret(
  path: string = DEV_SECRET_FILE,
): Promise<{ secret: string; created: boolean }> {
  try {
    return { secret: (await Deno.readTextFile(path)).trim(), created: false };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const secret = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.mkdir(path === DEV_SECRET_FILE ? DEV_STATE_DIR : dirname(path), { recursive: true });
  try {
    await Deno.writeTextFile(path, secret, { createNew: true, mode: 0o600 });
    return { secret, created: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return { secret: (await Deno.readTextFile(path)).trim(), created: false };
  }
}

async function readText(path: string, setting: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message;
    throw new ConfigError(`${setting}: cannot read ${path}: ${reason}`);
  }
}

async function readPem(path: string, setting: string): Promise<string> {
  const text = await readText(path, setting);
  if (!text.includes("-----BEGIN ")) throw new ConfigError(`${setting}: ${path} is not a PEM file`);
  return text + "\n";
}

function dirname(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

function isInside(path: string, dir: string): boolean {
  return resolve(path).startsWith(resolve(dir) + "/");
}

function samePath(a: string, b: string): boolean {
  return resolve(a) === resolve(b);
}

function resolve(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}
