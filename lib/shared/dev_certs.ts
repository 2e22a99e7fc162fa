/**
 * Development PKI: a throwaway certificate authority that signs one TLS server certificate and one
 * mTLS client certificate, so the Greeter can run over TLS on a developer's machine without any
 * setup. Not for production: production deployments bring their own certificates.
 *
 * All keys are ECDSA P-256 made with WebCrypto. The CA private key is created non-extractable and
 * dropped as soon as it has signed the two leaf certificates, so nobody can mint more certificates
 * that chain to a CA a developer may have trusted.
 *
 * @example
 * ```ts
 * import { ensureDevCertificates } from "../lib/shared/dev_certs.ts";
 *
 * const { created, paths } = await ensureDevCertificates("./certs");
 * console.log(created ? `wrote ${paths.serverCert}` : `using ${paths.serverCert}`);
 * ```
 *
 * @module
 */

// tsyringe, which @peculiar/x509 uses internally, throws at load time without a Reflect polyfill,
// so this import must stay above the @peculiar/x509 one.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { isIP } from "node:net";
import { join } from "node:path";

/** PEM strings. Certificates are `CERTIFICATE` blocks; keys are PKCS#8 `PRIVATE KEY` blocks. */
export interface DevPki {
  /** The development CA certificate; clients trust it, the server trusts it for mTLS. */
  caCert: string;
  /** The server certificate, with a SAN for every host in {@linkcode DevPkiOptions.hosts}. */
  serverCert: string;
  /** The server private key (PKCS#8 PEM). */
  serverKey: string;
  /** The mTLS client certificate, CN `greeter-dev-client`, extendedKeyUsage clientAuth. */
  clientCert: string;
  /** The client private key (PKCS#8 PEM). */
  clientKey: string;
}

/** Options for {@linkcode generateDevPki} and {@linkcode ensureDevCertificates}. */
export interface DevPkiOptions {
  /**
   * Host names and IP addresses the server certificate is valid for. Each becomes a DNS or IP
   * subjectAltName entry (IPv6 addresses without brackets, e.g. `"::1"`).
   *
   * @default {["localhost", "127.0.0.1", "::1"]}
   */
  hosts?: string[];
  /**
   * How many days all three certificates stay valid, counted from {@linkcode DevPkiOptions.now}.
   * macOS and iOS refuse TLS server certificates valid for more than 825 days.
   *
   * @default {365}
   */
  validDays?: number;
  /**
   * The clock. Certificates are valid from one minute before this instant (to tolerate clock skew
   * between processes and machines) until `validDays` after it.
   *
   * @default {() => new Date()}
   */
  now?: () => Date;
  /**
   * Subject common name of the server certificate. Clients check the subjectAltName entries, not
   * this, so it is only a label for people reading the certificate.
   *
   * @default {"greeter-dev-server"}
   */
  commonName?: string;
  /**
   * Common name of the CA. Tests use another name to stand in for a real CA; production refuses
   * certificates from a CA named with {@linkcode DEV_CA_NAME}.
   *
   * @default {`${DEV_CA_NAME} <first 8 hex digits of the CA serial>`}
   */
  caCommonName?: string;
}

/** Common-name prefix of every generated development CA; production refuses certificates it issued. */
export const DEV_CA_NAME = "Greeter Development CA";

/** File names inside a certs directory. */
export const DEV_CERT_FILES = {
  caCert: "ca.pem",
  serverCert: "server.pem",
  serverKey: "server.key.pem",
  clientCert: "client.pem",
  clientKey: "client.key.pem",
} as const;

/** What {@linkcode ensureDevCertificates} found or made. */
export interface EnsureResult {
  /** `true` if this call generated and wrote the files; `false` if a server pair was there. */
  created: boolean;
  /** The directory that was given. */
  dir: string;
  /**
   * Path of each file in {@linkcode DEV_CERT_FILES} inside `dir`. When `created` is `false`, only
   * the server pair is known to exist: a user who brought their own certificate may have no CA or
   * client files.
   */
  paths: { [K in keyof typeof DEV_CERT_FILES]: string };
}

const DEFAULT_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "::1"];
const DEFAULT_VALID_DAYS = 365;
const DEFAULT_SERVER_COMMON_NAME = "greeter-dev-server";
const CLIENT_COMMON_NAME = "greeter-dev-client";
const CLOCK_SKEW_MS = 60_000;
const DAY_MS = 86_400_000;
const KEY_ALGORITHM: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/**
 * Generates a fresh development CA, a server certificate and a client certificate, all signed by
 * that CA, entirely in memory. The CA private key is not part of the result.
 *
 * Nothing is read or written, so no permissions are needed.
 *
 * @param options Hosts, validity and clock; see {@linkcode DevPkiOptions}.
 * @returns The three certificates and two private keys as PEM strings.
 * @throws {TypeError} If an option is invalid; the message names the option.
 *
 * @example
 * ```ts
 * import { generateDevPki } from "../lib/shared/dev_certs.ts";
 *
 * const pki = await generateDevPki({ hosts: ["localhost", "greeter.test"], validDays: 30 });
 * ```
 */
export async function generateDevPki(options: DevPkiOptions = {}): Promise<DevPki> {
  const sans = parseHosts(options.hosts ?? [...DEFAULT_HOSTS]);
  const validDays = options.validDays ?? DEFAULT_VALID_DAYS;
  if (!Number.isSafeInteger(validDays) || validDays < 1) {
    throw new TypeError(
      `generateDevPki: options.validDays must be a positive integer, got ${validDays}`,
    );
  }
  const commonName = options.commonName ?? DEFAULT_SERVER_COMMON_NAME;
  if (typeof commonName !== "string" || commonName.trim() === "") {
    throw new TypeError("generateDevPki: options.commonName must be a non-empty string");
  }
  const issuedAt = (options.now ?? (() => new Date()))();
  if (!(issuedAt instanceof Date) || Number.isNaN(issuedAt.getTime())) {
    throw new TypeError("generateDevPki: options.now() must return a valid Date");
  }
  const validity = {
    notBefore: new Date(issuedAt.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(issuedAt.getTime() + validDays * DAY_MS),
  };

  // Non-extractable: the CA key can sign, but can never be exported, logged or written.
  const caKeys = await generateKeyPair(false);
  const caSerial = randomSerialNumber();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: caSerial,
    // A per-CA suffix lets people tell two generations apart in `openssl x509 -text` output.
    name: [{ CN: [options.caCommonName ?? `${DEV_CA_NAME} ${caSerial.slice(0, 8)}`] }],
    keys: caKeys,
    ...validity,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      // pathLength 0: this CA signs leaf certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
    ],
  }, crypto);

  const issue = async (subject: string, leafExtensions: x509.Extension[]) => {
    const keys = await generateKeyPair(true);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(),
      subject: [{ CN: [subject] }],
      // The CA's own Name object, so the issuer DN is byte-identical to the CA subject DN.
      issuer: ca.subjectName,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      ...validity,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...leafExtensions,
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    }, crypto);
    return { cert: pem(cert), key: await exportPrivateKey(keys.privateKey) };
  };

  const server = await issue(commonName, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(sans),
  ]);
  const client = await issue(CLIENT_COMMON_NAME, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);

  return {
    caCert: pem(ca),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
  };
}

/**
 * Makes sure `dir` holds a development server certificate and key, generating a fresh development
 * PKI ({@linkcode generateDevPki}) and writing its five files ({@linkcode DEV_CERT_FILES}) only if
 * both `server.pem` and `server.key.pem` are missing. Existing files are never overwritten: a
 * user's own certificate and key are left alone.
 *
 * Private keys are written with mode `0o600`. The CA private key is never written anywhere; it is
 * discarded after signing. `dir` is created if needed. Needs read and write permission for `dir`.
 *
 * To regenerate (for example after the certificates expire), delete all five files.
 *
 * @param dir Directory for the files; resolved by the caller, never from the working directory.
 * @param options Passed to {@linkcode generateDevPki} when files are generated.
 * @returns Whether files were created, and the path of each file.
 * @throws {Error} If exactly one of `server.pem` / `server.key.pem` exists (the message names the
 * missing one), or if the pair is missing but another of the five files exists (the message names
 * it); either way nothing is written.
 *
 * @example
 * ```ts
 * import { ensureDevCertificates } from "../lib/shared/dev_certs.ts";
 *
 * const { paths } = await ensureDevCertificates(new URL("./certs", import.meta.url).pathname);
 * const cert = await Deno.readTextFile(paths.serverCert);
 * ```
 */
export async function ensureDevCertificates(
  dir: string,
  options: DevPkiOptions = {},
): Promise<EnsureResult> {
  const paths = {
    caCert: join(dir, DEV_CERT_FILES.caCert),
    serverCert: join(dir, DEV_CERT_FILES.serverCert),
    serverKey: join(dir, DEV_CERT_FILES.serverKey),
    clientCert: join(dir, DEV_CERT_FILES.clientCert),
    clientKey: join(dir, DEV_CERT_FILES.clientKey),
  };
  const hasCert = await exists(paths.serverCert);
  const hasKey = await exists(paths.serverKey);
  if (hasCert && hasKey) return { created: false, dir, paths };
  if (hasCert !== hasKey) {
    const [present, missing] = hasCert
      ? [paths.serverCert, paths.serverKey]
      : [paths.serverKey, paths.serverCert];
    throw new Error(
      `TLS certificate pair is incomplete: ${missing} is missing but ${present} exists; ` +
        `restore ${missing}, or delete all five development files in ${dir} to generate new ones`,
    );
  }
  for (const path of [paths.caCert, paths.clientCert, paths.clientKey]) {
    if (await exists(path)) {
      throw new Error(
        `Refusing to overwrite ${path}: ${paths.serverCert} and ${paths.serverKey} are missing; ` +
          `delete the other files in ${dir} to generate a new development PKI`,
      );
    }
  }

  const pki = await generateDevPki(options);
  await Deno.mkdir(dir, { recursive: true });
  // createNew: fail rather than clobber a file that appeared since the checks above. The server
  // pair goes last so that an interrupted run shows up as a half pair, which the check above names.
  const files: [string, string, number][] = [
    [paths.caCert, pki.caCert, 0o644],
    [paths.clientCert, pki.clientCert, 0o644],
    [paths.clientKey, pki.clientKey, 0o600],
    [paths.serverKey, pki.serverKey, 0o600],
    [paths.serverCert, pki.serverCert, 0o644],
  ];
  for (const [path, data, mode] of files) {
    await Deno.writeTextFile(path, data, { createNew: true, mode });
  }
  return { created: true, dir, paths };
}

/** Host names and IP literals to subjectAltName entries; rejects what would encode wrongly. */
function parseHosts(hosts: readonly string[]): x509.JsonGeneralNames {
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new TypeError("generateDevPki: options.hosts must be a non-empty array of host names");
  }
  return hosts.map((host) => {
    if (typeof host !== "string" || host === "" || /[\s/\[\]]/.test(host)) {
      throw new TypeError(
        `generateDevPki: options.hosts has an invalid entry ${JSON.stringify(host)}`,
      );
    }
    switch (isIP(host)) {
      case 4:
        return { type: "ip", value: host };
      case 6:
        return { type: "ip", value: canonicalIPv6(host) };
      default:
        return { type: "dns", value: host };
    }
  });
}

/**
 * Rewrites an IPv6 literal into plain hex groups: @peculiar/x509 encodes the embedded dotted form
 * (`::ffff:127.0.0.1`) wrongly and cannot encode zone ids (`fe80::1%eth0`), so the URL parser's
 * canonical form is used, and a literal it rejects is reported.
 */
function canonicalIPv6(host: string): string {
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    throw new TypeError(
      `generateDevPki: options.hosts has an IPv6 address that cannot go in a certificate: ${host}`,
    );
  }
}

async function generateKeyPair(extractable: boolean): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(KEY_ALGORITHM, extractable, ["sign", "verify"]);
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return `${x509.PemConverter.encode(der, "PRIVATE KEY")}\n`;
}

/** PEM with the trailing newline that text tools (and `cat a.pem b.pem`) expect. */
function pem(cert: x509.X509Certificate): string {
  return `${cert.toString("pem")}\n`;
}

/** 16 random bytes as hex, top bit clear and non-zero first byte so DER needs no padding byte. */
function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
