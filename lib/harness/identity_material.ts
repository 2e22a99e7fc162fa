/**
 * What the harness knows about an OpenID provider, for the identity
 * scenarios: the public keys it publishes now, the private keys the operator
 * handed the harness (split into ones still published and ones retired), and
 * a way to get client credentials tokens with chosen scopes.
 *
 * A harness that only has a client id and secret gets no private keys; the
 * scenarios needing them are then skipped with the reason.
 *
 * @module
 */
import * as jose from "jose";
import {
  checkProviderUrl,
  discover,
  type FetchText,
  httpFetchText,
  parsePublicJwks,
} from "../auth/jwks.ts";

/** Provider material for the identity scenarios; see the module doc. */
export interface IdentityMaterial {
  /** The provider's published public keys, when a JWKS URL or issuer was given. */
  readonly publicKeys: readonly jose.JWK[];
  /** Private keys whose `kid` the provider publishes now. */
  readonly signingKeys: readonly jose.JWK[];
  /** Private keys whose `kid` the provider no longer publishes. */
  readonly retiredKeys: readonly jose.JWK[];
  /** A client credentials token with exactly these scopes (`""`: none asked for). */
  readonly requestToken?: (scope: string) => Promise<string>;
  /** The scope the server requires for `SayHello`, when the operator named it. */
  readonly requiredScope?: string;
}

/** Options for {@linkcode loadIdentityMaterial}. */
export interface LoadIdentityMaterialOptions {
  /** OpenID issuer (its discovery names the JWKS). */
  issuer?: string;
  /** JWKS URL, used instead of discovery. */
  jwksUrl?: string;
  /** Text of a private JWKS (or one private JWK) handed to the harness. */
  privateKeys?: string;
  /** Client credentials token getter; see {@linkcode IdentityMaterial.requestToken}. */
  requestToken?: (scope: string) => Promise<string>;
  /** See {@linkcode IdentityMaterial.requiredScope}. */
  requiredScope?: string;
  /** PEM CA certificates for https. */
  caCerts?: readonly string[];
  /** Fetcher, injectable for tests. @default httpFetchText with `caCerts` */
  fetchText?: FetchText;
  /** Time each fetch may take, in ms. @default 5000 */
  timeoutMs?: number;
}

/**
 * Fetches the provider's JWKS and sorts the given private keys by whether
 * the provider still publishes them.
 *
 * @throws {Error} when the JWKS cannot be fetched or the private keys do not parse
 *
 * @example
 * ```ts
 * const identity = await loadIdentityMaterial({
 *   issuer: "https://id.example",
 *   privateKeys: await Deno.readTextFile("test-issuer.private.jwks"),
 * });
 * ```
 */
export async function loadIdentityMaterial(
  options: LoadIdentityMaterialOptions,
): Promise<IdentityMaterial> {
  const owned = options.fetchText === undefined
    ? httpFetchText({ caCerts: options.caCerts })
    : null;
  const fetchText = options.fetchText ?? owned!;
  try {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 5000);
    let publicKeys: jose.JWK[] = [];
    let jwksUrl = options.jwksUrl;
    if (jwksUrl === undefined && options.issuer !== undefined) {
      const meta = await discover(options.issuer.replace(/\/$/, ""), fetchText, signal);
      if (typeof meta.jwks_uri !== "string") {
        throw new Error("the issuer's discovery has no jwks_uri");
      }
      jwksUrl = meta.jwks_uri;
    }
    if (jwksUrl !== undefined) {
      const url = checkProviderUrl(jwksUrl, "the JWKS URL");
      publicKeys = parsePublicJwks(await fetchText(url, signal), `JWKS at ${url.href}`).keys;
    }
    const privateKeys = options.privateKeys === undefined
      ? []
      : parsePrivateKeys(options.privateKeys);
    const published = new Set(publicKeys.map((k) => k.kid));
    return {
      publicKeys,
      signingKeys: privateKeys.filter((k) => published.has(k.kid)),
      retiredKeys: privateKeys.filter((k) => !published.has(k.kid)),
      ...(options.requestToken === undefined ? {} : { requestToken: options.requestToken }),
      ...(options.requiredScope === undefined ? {} : { requiredScope: options.requiredScope }),
    };
  } finally {
    owned?.close();
  }
}

function parsePrivateKeys(text: string): jose.JWK[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("the private key file is not JSON (a JWKS or one JWK)");
  }
  const record = doc as { keys?: unknown; kty?: unknown };
  const keys = Array.isArray(record?.keys) ? record.keys : [doc];
  for (const key of keys as jose.JWK[]) {
    if (typeof key?.d !== "string" || typeof key.kid !== "string" || typeof key.alg !== "string") {
      throw new Error("each key in the private key file needs kid, alg and its private part (d)");
    }
  }
  return keys as jose.JWK[];
}

/** Claims for {@linkcode mintWithKey}; absent fields are valid for the run. */
export interface ProviderClaims {
  /** `iss`. */
  issuer: string;
  /** `aud`. */
  audience: string;
  /** `sub`. */
  subject: string;
  /** `scope`, space-separated; omitted when not given. */
  scope?: string;
  /** `iat`, seconds since the epoch. */
  issuedAt: number;
  /** Lifetime from `iat`, in seconds. */
  ttlSeconds: number;
}

/**
 * Signs an access token with a provider's private JWK, as the provider would
 * (`typ: at+jwt`, the key's `kid` and `alg`).
 */
export async function mintWithKey(jwk: jose.JWK, claims: ProviderClaims): Promise<string> {
  const key = await jose.importJWK(jwk, jwk.alg);
  return await new jose.SignJWT(claims.scope === undefined ? {} : { scope: claims.scope })
    .setProtectedHeader({ alg: jwk.alg!, kid: jwk.kid, typ: "at+jwt" })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject)
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.issuedAt + claims.ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(key);
}
