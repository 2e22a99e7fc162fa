/**
 * Bearer tokens from an OAuth2 authorization server with the client
 * credentials grant (RFC 6749 §4.4): the token endpoint is configured or
 * discovered from an OpenID issuer, the client authenticates with HTTP Basic,
 * and the audience travels as an RFC 8707 `resource` (and as `audience`, which
 * some providers use instead). Pair the source with
 * {@linkcode createTokenProvider} to cache the token and refresh it before it
 * expires.
 *
 * @module
 */
import { checkProviderUrl, discover, type FetchText, httpFetchText } from "../auth/jwks.ts";
import { createTokenProvider, type IssuedToken, type TokenProvider } from "./token_provider.ts";

/** Options for {@linkcode clientCredentialsTokenSource}; give `tokenUrl` or `issuer`. */
export interface ClientCredentialsOptions {
  /** The token endpoint (`https://`, or `http://` on loopback). */
  tokenUrl?: string;
  /** An OpenID issuer whose discovery document names the token endpoint. */
  issuer?: string;
  /** The client's id. */
  clientId: string;
  /** The client's secret. */
  clientSecret: string;
  /** Scopes to ask for, space-separated; omitted when not given. */
  scope?: string;
  /** The API the token is for (`resource` / `audience`); omitted when not given. */
  audience?: string;
  /** Time one request may take, in milliseconds. @default 5000 */
  timeoutMs?: number;
  /** PEM CA certificates trusted for https instead of the system roots. */
  caCerts?: readonly string[];
  /** HTTP POST of a form, injectable for tests. @default fetch */
  fetch?: typeof fetch;
}

/** A token source for the client credentials grant; `close()` releases its HTTP client. */
export interface ClientCredentialsSource {
  /** Requests a new token. */
  (): Promise<IssuedToken>;
  /** Releases the HTTP client made for `caCerts`. */
  close(): void;
}

/**
 * Builds the source. Errors name the endpoint and the server's `error` code,
 * never the client secret.
 *
 * @example
 * ```ts
 * const source = clientCredentialsTokenSource({ issuer, clientId, clientSecret, scope: "greet" });
 * const provider = createTokenProvider({ source });
 * ```
 */
export function clientCredentialsTokenSource(
  options: ClientCredentialsOptions,
): ClientCredentialsSource {
  if ((options.tokenUrl === undefined) === (options.issuer === undefined)) {
    throw new Error("client credentials need a token URL or an OIDC issuer (one of them)");
  }
  if (options.clientId === "") throw new Error("client credentials need a client id");
  if (options.clientSecret === "") throw new Error("client credentials need a client secret");
  const timeoutMs = options.timeoutMs ?? 5000;
  const caCerts = options.caCerts ?? [];
  const client = caCerts.length > 0 ? Deno.createHttpClient({ caCerts: [...caCerts] }) : undefined;
  const doFetch = options.fetch ?? fetch;
  const fetchText: FetchText & { close?: () => void } = httpFetchText({ caCerts });
  let endpoint: URL | undefined = options.tokenUrl === undefined
    ? undefined
    : checkProviderUrl(options.tokenUrl, "the OAuth token URL");
  // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
  const basic = btoa(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
  );

  const source = async (): Promise<IssuedToken> => {
    const signal = AbortSignal.timeout(timeoutMs);
    if (endpoint === undefined) {
      const issuer = checkProviderUrl(options.issuer!, "the OIDC issuer").href.replace(/\/$/, "");
      const meta = await discover(options.issuer!.replace(/\/$/, ""), fetchText, signal);
      if (meta.issuer !== options.issuer && meta.issuer !== options.issuer!.replace(/\/$/, "")) {
        throw new Error(`discovery at ${issuer} names issuer ${JSON.stringify(meta.issuer)}`);
      }
      if (typeof meta.token_endpoint !== "string") {
        throw new Error(`discovery at ${issuer} names no token_endpoint`);
      }
      endpoint = checkProviderUrl(meta.token_endpoint, `token_endpoint of ${issuer}`);
    }
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    if (options.scope !== undefined && options.scope !== "") body.set("scope", options.scope);
    if (options.audience !== undefined && options.audience !== "") {
      body.set("resource", options.audience);
      body.set("audience", options.audience);
    }
    let response: Response;
    try {
      response = await doFetch(endpoint, {
        method: "POST",
        body,
        signal,
        redirect: "error",
        headers: { authorization: `Basic ${basic}`, accept: "application/json" },
        ...(client === undefined ? {} : { client }),
      } as RequestInit);
    } catch (error) {
      const why = signal.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new Error(`token request to ${endpoint.href} failed: ${why}`);
    }
    let json: Record<string, unknown>;
    try {
      json = await response.json();
    } catch {
      throw new Error(`token endpoint ${endpoint.href} answered HTTP ${response.status}, not JSON`);
    }
    if (!response.ok) {
      const code = typeof json.error === "string" ? json.error : `HTTP ${response.status}`;
      const description = typeof json.error_description === "string"
        ? `: ${json.error_description}`
        : "";
      throw new Error(
        `token endpoint ${endpoint.href} refused the request (${code}${description})`,
      );
    }
    if (typeof json.access_token !== "string" || json.access_token === "") {
      throw new Error(`token endpoint ${endpoint.href} sent no access_token`);
    }
    if (typeof json.token_type !== "string" || json.token_type.toLowerCase() !== "bearer") {
      throw new Error(
        `token endpoint ${endpoint.href} sent a ${json.token_type} token, not Bearer`,
      );
    }
    const expiresIn = json.expires_in;
    return {
      token: json.access_token,
      ...(typeof expiresIn === "number" && expiresIn > 0 ? { expiresInSeconds: expiresIn } : {}),
    };
  };
  return Object.assign(source, {
    close() {
      client?.close();
      fetchText.close?.();
    },
  });
}

/**
 * A token provider over {@linkcode clientCredentialsTokenSource}: one token,
 * shared by concurrent callers, replaced before it expires.
 *
 * @returns the provider, and `close()` for the source's HTTP client
 *
 * @example
 * ```ts
 * const provider = createClientCredentialsProvider({
 *   issuer: "https://id.example",
 *   clientId: "greeter-client",
 *   clientSecret: Deno.env.get("CLIENT_SECRET")!,
 *   scope: "greet",
 * });
 * using client = createGreeterClient({ target: "greeter.example:443", tls: { ca }, tokenProvider: provider });
 * ```
 */
export function createClientCredentialsProvider(
  options: ClientCredentialsOptions & { now?: () => number },
): TokenProvider & { close(): void } {
  const source = clientCredentialsTokenSource(options);
  const provider = createTokenProvider({
    source,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return Object.assign(provider, { close: () => source.close() });
}
