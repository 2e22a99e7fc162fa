/**
 * TLS / mTLS material -> grpc-js server credentials.
 *
 * grpc-js's `ServerCredentials.createSsl(null, ...)` fills the TLS `ca` from
 * `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` when no root certificates are given, and
 * Deno 2.8+ sends a server's `ca` certificates in the handshake. With a system
 * bundle there (144 certificates on our machines) Node.js and Python clients
 * fail with `excessive message size`. So the server sets `ca` only for mTLS,
 * from the configured client CA, whatever the environment says.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { createPrivateKey, X509Certificate } from "node:crypto";

/** PEM material for a TLS server. */
export interface ServerTlsMaterial {
  /** Server certificate chain (PEM). */
  cert: string;
  /** Server private key (PEM). */
  key: string;
  /** CA for client certificates (PEM); when set, clients must present one (mTLS). */
  clientCa?: string;
}

/**
 * Server credentials with exactly the context options given: no implicit
 * `ca`. Subclasses grpc-js's public `ServerCredentials` base.
 */
class ExplicitTlsServerCredentials extends grpc.ServerCredentials {
  constructor(material: ServerTlsMaterial) {
    const mutual = material.clientCa !== undefined;
    super(
      { requestCert: mutual, rejectUnauthorized: mutual },
      {
        cert: [Buffer.from(material.cert)],
        key: [Buffer.from(material.key)],
        ...(mutual ? { ca: [Buffer.from(material.clientCa!)] } : {}),
      },
    );
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * Builds server credentials: TLS from `material`, or plaintext when `null`.
 *
 * @example
 * ```ts
 * const creds = createServerCredentials({ cert, key });
 * ```
 */
export function createServerCredentials(
  material: ServerTlsMaterial | null,
): grpc.ServerCredentials {
  if (material === null) return grpc.ServerCredentials.createInsecure();
  for (const [field, pem] of [["cert", material.cert], ["key", material.key]] as const) {
    if (!pem.includes("-----BEGIN ")) throw new Error(`TLS ${field} is not PEM`);
  }
  return new ExplicitTlsServerCredentials(material);
}

/** What {@linkcode inspectTlsMaterial} learned about a certificate. */
export interface TlsMaterialFacts {
  /** Issuer distinguished name of the server certificate, e.g. `CN=Greeter Development CA …`. */
  readonly issuer: string;
  /** End of the certificate's validity. */
  readonly validTo: Date;
}

/**
 * Checks, before the server starts, what TLS would otherwise only reveal in
 * every failed handshake: the certificate parses, the key parses, and the key
 * belongs to the certificate.
 *
 * @throws {Error} with one line naming which part is wrong
 */
export function inspectTlsMaterial(material: ServerTlsMaterial): TlsMaterialFacts {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(material.cert);
  } catch (error) {
    throw new Error(`the TLS certificate cannot be parsed (${(error as Error).message})`);
  }
  let key;
  try {
    key = createPrivateKey(material.key);
  } catch (error) {
    throw new Error(`the TLS private key cannot be parsed (${(error as Error).message})`);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new Error("the TLS private key does not belong to the TLS certificate");
  }
  if (material.clientCa !== undefined) {
    try {
      new X509Certificate(material.clientCa);
    } catch (error) {
      throw new Error(`the client CA certificate cannot be parsed (${(error as Error).message})`);
    }
  }
  return { issuer: certificate.issuer, validTo: new Date(certificate.validTo) };
}
