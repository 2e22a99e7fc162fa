/**
 * Public keys for asymmetric tokens: where they come from (a local public key
 * or JWKS file, a JWKS URL, or an OpenID issuer's discovery document) and how
 * they stay current (fetched with a timeout, cached, refreshed on an interval
 * and when a token names a key the cache does not hold, at most once per
 * cool-down so a flood of random `kid`s cannot hammer the provider).
 *
 * When the provider is down, cached keys keep working and unknown keys fail
 * closed ({@linkcode KeySourceError}); a wait for a refresh never outlasts
 * the fetch timeout or the caller's abort signal. No gRPC imports.
 *
 * @module
 */
import * as jose from "jose";

/** Asymmetric algorithms a public key may verify; HMAC and `none` are never among them. */
export const ASYMMETRIC_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"] as const;

/** One of {@linkcode ASYMMETRIC_ALGORITHMS}. */
export type AsymmetricAlgorithm = typeof ASYMMETRIC_ALGORITHMS[number];

/** Largest JWKS or discovery document accepted, in bytes. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** Why a key could not be had; `message` is safe to send to a caller. */
export class KeySourceError extends Error {
  /** `unknown-key`: no published key matches; `unavailable`: keys could not be fetched. */
  readonly reason: "unknown-key" | "unavailable";
  /**
   * Builds the error.
   * @param reason machine-readable reason
   * @param message caller-safe text
   */
  constructor(reason: "unknown-key" | "unavailable", message: string) {
    super(message);
    this.name = "KeySourceError";
    this.reason = reason;
  }
}

/** Verification keys for one trust anchor. */
export interface KeySource {
  /**
   * Resolves the key for a token's protected header, refreshing once (rate
   * limited) when no cached key matches. Rejects with {@linkcode KeySourceError}.
   * @param header the token's protected header
   * @param signal ends the wait for a refresh early (the call's deadline)
   */
  getKey(header: jose.JWSHeaderParameters, signal?: AbortSignal): Promise<jose.CryptoKey>;
  /** Changes whenever the published key set changes; verified-token caches compare it. */
  readonly version: number;
  /** Where the keys come from, for logs and errors (never a secret). */
  readonly description: string;
  /** Resolves once keys are loaded; rejects with the reason when the first load fails. */
  ready(): Promise<void>;
  /**
   * Loads the keys again now, whatever the cool-down (start-up retries);
   * rejects with the reason when that fails. Cached keys are kept on failure.
   */
  refresh(): Promise<void>;
  /** Stops timers and releases the HTTP client. Idempotent. */
  close(): void;
}

/** Throws unless `alg` is one of {@linkcode ASYMMETRIC_ALGORITHMS}. */
export function assertAsymmetricAlgorithms(algorithms: readonly string[]): void {
  if (algorithms.length === 0) throw new Error("no JWT algorithm allowed");
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new Error(
        `JWT algorithm ${alg} cannot be used with public keys (allowed: ${
          ASYMMETRIC_ALGORITHMS.join(", ")
        })`,
      );
    }
  }
}

/**
 * Checks that a URL may be used to fetch keys or discovery: `https://`, or
 * `http://` on a loopback address only (local providers and tests).
 *
 * @param url the URL as configured or discovered
 * @param what names it in the error, e.g. `"GREETER_JWT_JWKS_URL"`
 * @returns the parsed URL
 */
export function checkProviderUrl(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new Error(`${what} must not carry credentials`);
  }
  if (parsed.protocol === "https:") return parsed;
  if (parsed.protocol === "http:" && isLoopbackHost(parsed.hostname)) return parsed;
  if (parsed.protocol === "http:") {
    throw new Error(`${what} must use https:// (http:// is accepted only on a loopback address)`);
  }
  throw new Error(`${what} must be an https:// URL`);
}

/** Whether `hostname` (as `URL.hostname` gives it) is a loopback address. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "[::1]") return true;
  const parts = hostname.split(".");
  return parts.length === 4 && parts[0] === "127" &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

// ---------------------------------------------------------------------------
// Parsing key material

/** The public keys of a JWKS, checked: no private or symmetric keys, no duplicate `kid`s. */
export function parsePublicJwks(text: string, where: string): jose.JSONWebKeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  const keys = isRecord(doc) && Array.isArray(doc.keys)
    ? doc.keys
    : isRecord(doc) && typeof doc.kty === "string"
    ? [doc]
    : null;
  if (keys === null) throw new Error(`${where} is neither a JWKS ({"keys": [...]}) nor a JWK`);
  const usable: jose.JWK[] = [];
  const kids = new Set<string>();
  for (const key of keys) {
    if (!isRecord(key) || typeof key.kty !== "string") {
      throw new Error(`${where} holds a key without "kty"`);
    }
    if (key.kty === "oct") {
      throw new Error(`${where} holds a symmetric ("oct") key; only public keys are accepted`);
    }
    if ("d" in key || "p" in key || "k" in key) {
      throw new Error(`${where} holds a private key; publish only the public part`);
    }
    if (key.use !== undefined && key.use !== "sig") continue; // encryption keys
    if (typeof key.kid === "string") {
      if (kids.has(key.kid)) throw new Error(`${where} holds two keys with kid ${key.kid}`);
      kids.add(key.kid);
    }
    usable.push(key as jose.JWK);
  }
  return { keys: usable };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A resolver over a fixed key set, caching imported keys. */
interface KeySet {
  resolve(header: jose.JWSHeaderParameters): Promise<jose.CryptoKey>;
  /** Whether any key could verify a token with this header (by `kid`, else by `alg`). */
  has(header: jose.JWSHeaderParameters): boolean;
  readonly fingerprint: string;
}

function jwksKeySet(jwks: jose.JSONWebKeySet): KeySet {
  const local = jose.createLocalJWKSet(jwks);
  return {
    fingerprint: JSON.stringify(jwks.keys),
    resolve: (header) =>
      local(header, undefined as unknown as jose.FlattenedJWSInput) as Promise<jose.CryptoKey>,
    has: (header) => jwks.keys.some((k) => header.kid === undefined ? true : k.kid === header.kid),
  };
}

function pemKeySet(pem: string): KeySet {
  const imported = new Map<string, Promise<jose.CryptoKey>>();
  return {
    fingerprint: pem,
    resolve(header) {
      const alg = header.alg ?? "";
      let key = imported.get(alg);
      if (key === undefined) {
        key = jose.importSPKI(pem, alg);
        imported.set(alg, key);
      }
      return key.catch(() => {
        throw new jose.errors.JWKSNoMatchingKey();
      });
    },
    has: () => true,
  };
}

/** Parses a public key file: a JWKS, a single public JWK, or a PEM `PUBLIC KEY` (SPKI). */
function parseKeyFile(text: string, where: string): KeySet {
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) {
    if (/PRIVATE KEY-----/.test(trimmed)) {
      throw new Error(`${where} holds a private key; give the public key (PEM "PUBLIC KEY")`);
    }
    if (!trimmed.startsWith("-----BEGIN PUBLIC KEY-----")) {
      throw new Error(`${where}: only PEM "PUBLIC KEY" (SPKI) blocks are accepted`);
    }
    return pemKeySet(trimmed);
  }
  const jwks = parsePublicJwks(trimmed, where);
  if (jwks.keys.length === 0) throw new Error(`${where} holds no signing key`);
  return jwksKeySet(jwks);
}

// ---------------------------------------------------------------------------
// Sources

/** Options for {@linkcode fileKeySource}. */
export interface FileKeySourceOptions {
  /** The file: a JWKS, one public JWK, or a PEM public key. */
  path: string;
  /** File reader. @default Deno.readTextFile */
  readTextFile?: (path: string) => Promise<string>;
}

/**
 * Keys from a local file, read once by {@linkcode KeySource.ready}. Rotation
 * means a restart (use a JWKS URL to rotate without one).
 *
 * @example
 * ```ts
 * const keys = fileKeySource({ path: "/etc/greeter/issuer-public.jwks" });
 * await keys.ready();
 * const verifier = createTokenVerifier({ keys, issuer: "https://id.example", audience: "greeter" });
 * ```
 */
export function fileKeySource(options: FileKeySourceOptions): KeySource {
  const read = options.readTextFile ?? Deno.readTextFile;
  let set: KeySet | undefined;
  let loading: Promise<void> | undefined;
  const description = `key file ${options.path}`;
  return {
    description,
    version: 1,
    ready() {
      loading ??= (async () => {
        let text: string;
        try {
          text = await read(options.path);
        } catch (error) {
          throw new Error(`cannot read ${description}: ${(error as Error).message}`);
        }
        set = parseKeyFile(text, description);
      })();
      return loading;
    },
    async getKey(header) {
      if (set === undefined) await this.ready();
      return await resolveOrUnknown(set!, header);
    },
    refresh() {
      loading = undefined;
      return this.ready();
    },
    close() {},
  };
}

async function resolveOrUnknown(
  set: KeySet,
  header: jose.JWSHeaderParameters,
): Promise<jose.CryptoKey> {
  try {
    return await set.resolve(header);
  } catch (error) {
    if (error instanceof jose.errors.JWKSMultipleMatchingKeys) {
      throw new KeySourceError("unknown-key", "token names no single signing key (add a kid)");
    }
    throw new KeySourceError("unknown-key", "token signing key unknown");
  }
}

/** Fetches a URL and returns its body as text; injectable for tests. */
export type FetchText = (url: URL, signal: AbortSignal) => Promise<string>;

/** Options shared by the remote sources. */
export interface RemoteKeySourceOptions {
  /** Time one fetch may take, in milliseconds. @default 3000 */
  fetchTimeoutMs?: number;
  /** Scheduled refresh, in milliseconds; 0 turns it off. @default 300000 */
  refreshIntervalMs?: number;
  /** Least time between two fetches caused by unknown `kid`s, in milliseconds. @default 10000 */
  minRefreshIntervalMs?: number;
  /** PEM CA certificates trusted for https, in addition to none (they replace the system roots). */
  caCerts?: readonly string[];
  /** Fetcher; @default `fetch` with the timeout, a size limit and `caCerts`. */
  fetchText?: FetchText;
  /** Receives failed scheduled refreshes and recoveries (never secrets). @default ignore */
  onEvent?: (event: KeySourceEvent) => void;
  /** Clock, milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** Something worth a log line. */
export interface KeySourceEvent {
  /** `refreshed`: keys changed; `refresh-failed`: a fetch failed (cached keys kept). */
  kind: "refreshed" | "refresh-failed";
  /** Where from. */
  source: string;
  /** Number of keys now held. */
  keys: number;
  /** Why a refresh failed. */
  error?: string;
}

/** Options for {@linkcode jwksUrlKeySource}. */
export interface JwksUrlKeySourceOptions extends RemoteKeySourceOptions {
  /** The JWKS URL (`https://`, or `http://` on loopback). */
  url: string;
}

/** Options for {@linkcode oidcKeySource}. */
export interface OidcKeySourceOptions extends RemoteKeySourceOptions {
  /** The issuer; `/.well-known/openid-configuration` is fetched below it. */
  issuer: string;
}

/**
 * Keys fetched from a JWKS URL and kept current; see the module doc.
 *
 * @example
 * ```ts
 * const keys = jwksUrlKeySource({ url: "https://id.example/jwks.json" });
 * const verifier = createTokenVerifier({ keys, issuer: "https://id.example", audience: "greeter" });
 * ```
 */
export function jwksUrlKeySource(options: JwksUrlKeySourceOptions): KeySource {
  const url = checkProviderUrl(options.url, "the JWKS URL");
  return remoteKeySource(options, `JWKS ${url.href}`, () => Promise.resolve(url));
}

/**
 * Keys of an OpenID issuer: discovery (`issuer` must match exactly), then its
 * `jwks_uri`, kept current. Discovery is repeated only until it first works.
 *
 * @example
 * ```ts
 * const keys = oidcKeySource({ issuer: "https://id.example" });
 * const verifier = createTokenVerifier({ keys, issuer: "https://id.example", audience: "greeter" });
 * // ... serve; after the server has stopped:
 * keys.close();
 * ```
 */
export function oidcKeySource(options: OidcKeySourceOptions): KeySource {
  const issuer = checkProviderUrl(options.issuer, "the OIDC issuer").href.replace(/\/$/, "");
  const configured = options.issuer.replace(/\/$/, "");
  let jwksUri: URL | undefined;
  return remoteKeySource(options, `OIDC issuer ${configured}`, async (fetchText, signal) => {
    if (jwksUri !== undefined) return jwksUri;
    const meta = await discover(configured, fetchText, signal);
    if (meta.issuer !== options.issuer && meta.issuer !== configured) {
      throw new Error(
        `discovery at ${issuer} names issuer ${JSON.stringify(meta.issuer)}, not ${configured}`,
      );
    }
    if (typeof meta.jwks_uri !== "string") {
      throw new Error(`discovery at ${issuer} has no jwks_uri`);
    }
    jwksUri = checkProviderUrl(meta.jwks_uri, `jwks_uri of ${configured}`);
    return jwksUri;
  });
}

/** Fields of an OpenID discovery document this project reads. */
export interface DiscoveryDocument {
  /** The issuer, equal to the configured one. */
  issuer?: unknown;
  /** Where the signing keys are published. */
  jwks_uri?: unknown;
  /** The OAuth2 token endpoint (client credentials). */
  token_endpoint?: unknown;
}

/**
 * Fetches `<issuer>/.well-known/openid-configuration`.
 * @param issuer the issuer, without a trailing slash
 * @param fetchText fetcher
 * @param signal aborts the fetch
 */
export async function discover(
  issuer: string,
  fetchText: FetchText,
  signal: AbortSignal,
): Promise<DiscoveryDocument> {
  const url = new URL(`${issuer}/.well-known/openid-configuration`);
  const text = await fetchText(url, signal);
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw new Error(`discovery document at ${url.href} is not JSON`);
  }
  if (!isRecord(meta)) throw new Error(`discovery document at ${url.href} is not an object`);
  return meta;
}

/** Options for {@linkcode httpFetchText}. */
export interface HttpFetchTextOptions {
  /** PEM CA certificates to trust instead of the system roots. */
  caCerts?: readonly string[];
  /** Largest body accepted, in bytes. @default MAX_DOCUMENT_BYTES */
  maxBytes?: number;
}

/** A {@linkcode FetchText} over `fetch`, with `close()` for the custom HTTP client. */
export interface HttpFetchText extends FetchText {
  /** Releases the HTTP client (when `caCerts` were given). */
  close(): void;
}

/**
 * A fetcher refusing redirects, non-2xx answers and bodies over the limit.
 * @param options CA certificates and size limit
 */
export function httpFetchText(options: HttpFetchTextOptions = {}): HttpFetchText {
  const maxBytes = options.maxBytes ?? MAX_DOCUMENT_BYTES;
  const client = options.caCerts !== undefined && options.caCerts.length > 0
    ? Deno.createHttpClient({ caCerts: [...options.caCerts] })
    : undefined;
  const fetchText = async (url: URL, signal: AbortSignal): Promise<string> => {
    let response: Response;
    try {
      response = await fetch(url, {
        signal,
        redirect: "error",
        headers: { accept: "application/json" },
        ...(client === undefined ? {} : { client }),
      });
    } catch (error) {
      // `fetch failed` alone names neither the URL nor the cause.
      const cause = (error as Error).cause;
      const why = signal.aborted
        ? "no answer in time"
        : cause instanceof Error
        ? cause.message
        : (error as Error).message;
      throw new Error(`cannot fetch ${url.href}: ${why}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`${url.href} answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new Error(`${url.href} sent more than ${maxBytes} bytes`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > maxBytes) {
      throw new Error(`${url.href} sent more than ${maxBytes} bytes`);
    }
    return new TextDecoder().decode(bytes);
  };
  return Object.assign(fetchText, { close: () => client?.close() });
}

function remoteKeySource(
  options: RemoteKeySourceOptions,
  description: string,
  locate: (fetchText: FetchText, signal: AbortSignal) => Promise<URL>,
): KeySource {
  const timeoutMs = options.fetchTimeoutMs ?? 3000;
  const intervalMs = options.refreshIntervalMs ?? 300_000;
  const cooldownMs = options.minRefreshIntervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  const onEvent = options.onEvent ?? (() => {});
  for (
    const [name, value] of [["fetchTimeoutMs", timeoutMs], ["minRefreshIntervalMs", cooldownMs]]
  ) {
    if (!(Number.isFinite(value as number) && (value as number) >= 0)) {
      throw new TypeError(`${name} must be a finite number >= 0`);
    }
  }
  const owned = options.fetchText === undefined
    ? httpFetchText({ caCerts: options.caCerts })
    : null;
  const fetchText: FetchText = options.fetchText ?? owned!;

  let set: KeySet | undefined;
  let count = 0;
  let version = 0;
  let lastAttempt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let firstLoad: Promise<void> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const shutdown = new AbortController();

  const refresh = (): Promise<void> => {
    inFlight ??= (async () => {
      lastAttempt = now();
      const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), shutdown.signal]);
      try {
        const url = await locate(fetchText, signal);
        const jwks = parsePublicJwks(await fetchText(url, signal), `JWKS at ${url.href}`);
        const next = jwksKeySet(jwks);
        if (set === undefined || next.fingerprint !== set.fingerprint) {
          set = next;
          count = jwks.keys.length;
          version++;
          onEvent({ kind: "refreshed", source: description, keys: count });
        }
      } catch (error) {
        const message = signal.aborted && !shutdown.signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : (error as Error).message;
        onEvent({ kind: "refresh-failed", source: description, keys: count, error: message });
        throw new Error(`cannot load keys from ${description}: ${message}`);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  if (intervalMs > 0) {
    const scheduled = setInterval(() => refresh().catch(() => {}), intervalMs);
    Deno.unrefTimer(scheduled);
    timer = scheduled;
  }

  const waitFor = async (promise: Promise<void>, signal?: AbortSignal): Promise<void> => {
    if (signal === undefined) return await promise;
    signal.throwIfAborted();
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([promise, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };

  return {
    description,
    get version() {
      return version;
    },
    ready() {
      firstLoad ??= refresh();
      return firstLoad;
    },
    refresh,
    async getKey(header, signal) {
      if (closed) throw new KeySourceError("unavailable", "token signing keys unavailable");
      if (set !== undefined && set.has(header)) return await resolveOrUnknown(set, header);
      // Unknown kid (or no keys yet): refresh, unless one ran within the cool-down.
      // With no keys at all (provider down at start), the cool-down applies too.
      if (now() - lastAttempt >= cooldownMs || inFlight !== undefined) {
        try {
          await waitFor(firstLoad === undefined ? this.ready() : refresh(), signal);
        } catch {
          // Provider down or too slow: fall through to the cached keys, if any.
        }
      }
      if (set === undefined) {
        throw new KeySourceError("unavailable", "token signing keys unavailable");
      }
      return await resolveOrUnknown(set, header);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      shutdown.abort();
      owned?.close();
    },
  };
}
