/**
 * The server comparisons behind BENCHMARKS.md, by name: which variants run
 * side by side, the first being the baseline of every ratio. A new variant
 * (say, another runtime's bare server) is one more entry in a list.
 *
 * @module
 */
import type { Variant } from "./compare_servers.ts";

/** A named comparison: what it shows and the variants it runs. */
export interface ServerComparison {
  /** What the comparison shows, one sentence. */
  readonly summary: string;
  /** The variants; the first is the baseline. */
  readonly variants: readonly Variant[];
}

/**
 * Overhead of the full stack against the bare server: TLS + JWT auth (token
 * cache on, its default) + logging interceptor at info into /dev/null, versus
 * TLS and no interceptors. Both run the same business logic. A third server
 * logs through the per-line sink (`per_line_sink.ts`), to show what batching saves.
 */
export const OVERHEAD_COMPARISON: ServerComparison = {
  summary: "the full stack (auth, logging) against the bare server",
  variants: [
    { name: "bare", spec: { variant: "bare" } },
    { name: "full", spec: { variant: "full", logLevel: "info" } },
    {
      name: "full-logtape-sink",
      spec: { variant: "full", logLevel: "info", logSink: "logtape-stream" },
    },
  ],
};

/**
 * What each part of the full stack costs per call: the bare server, then the
 * bare server with the server's whole interceptor chain (metrics, call
 * logging at info into /dev/null, JWT auth with the token cache, the request
 * id sent back in headers and trailers), then the same chain with one part
 * left out at a time. A part's cost is the whole chain's ratio less the ratio
 * without it.
 */
export const BREAKDOWN_COMPARISON: ServerComparison = {
  summary: "the interceptor chain, whole and less one part at a time, against bare",
  variants: [
    { name: "bare", spec: { variant: "bare" } },
    { name: "chain", spec: { variant: "chain", logLevel: "info" } },
    {
      name: "no-echo",
      spec: { variant: "chain", logLevel: "info", chain: { echoRequestId: false } },
    },
    { name: "log-error", spec: { variant: "chain", logLevel: "error" } },
    { name: "no-metrics", spec: { variant: "chain", logLevel: "info", chain: { metrics: false } } },
    { name: "no-auth", spec: { variant: "chain", logLevel: "info", chain: { auth: false } } },
  ],
};

/**
 * The part each variant of {@linkcode BREAKDOWN_COMPARISON} leaves out, by
 * variant name, as the breakdown script reports it.
 */
export const BREAKDOWN_PARTS: Readonly<Record<string, string>> = {
  "no-echo": "request id sent back in headers and trailers",
  "log-error": "call line at info",
  "no-metrics": "metrics",
  "no-auth": "JWT auth (cached token)",
};

/** Least acceptable full / bare calls/s in {@linkcode OVERHEAD_COMPARISON}. */
export const OVERHEAD_MIN_RATIO = 0.85;

/**
 * Most full / bare server CPU per call tolerated before CI fails. The target
 * is 1.15; this bound is loose on purpose, so that the noise of a shared
 * machine never trips it, while a regression that doubles the per-call cost
 * (a log line formatted twice, a timer per call) does.
 */
export const OVERHEAD_MAX_CPU_RATIO = 2.0;

/**
 * What the JWT check costs on repeat calls: the full stack with the verified
 * token cache on (default size) against the same stack with `cacheSize: 0`,
 * where every call verifies the HMAC signature and the claims again; and the
 * same two with ES256 tokens verified against a public key (a JWKS), as with
 * an OpenID provider. Logging stays at info in all, so the only differences
 * are the cache and the key type. The baseline is the HS256 cache-off server,
 * so a ratio above 1 is what the cache saves.
 */
export const AUTH_CACHE_COMPARISON: ServerComparison = {
  summary: "the verified-token cache on against off, HS256 and ES256",
  variants: [
    { name: "cache-off", spec: { variant: "full", cacheSize: 0 } },
    { name: "cache-on", spec: { variant: "full" } },
    { name: "es256-cache-off", spec: { variant: "full", cacheSize: 0 }, signWith: "ES256" },
    { name: "es256-cache-on", spec: { variant: "full" }, signWith: "ES256" },
    { name: "bare", spec: { variant: "bare" } },
  ],
};

/**
 * Whether call logging limits the server: the full stack logging every call
 * at info into /dev/null against the same stack at level error, where call
 * lines are filtered out before formatting (the baseline). A third server
 * logs at info through the per-line sink (`per_line_sink.ts`), one write per line.
 */
export const LOGGING_COMPARISON: ServerComparison = {
  summary: "call logging at info against error",
  variants: [
    { name: "log-error", spec: { variant: "full", logLevel: "error" } },
    { name: "log-info", spec: { variant: "full", logLevel: "info" } },
    {
      name: "log-info-logtape-sink",
      spec: { variant: "full", logLevel: "info", logSink: "logtape-stream" },
    },
  ],
};

/**
 * The Greeter against bare grpc-js on Node.js and on Deno: `node-bare`
 * (`node_bare_server.mjs`, the baseline), `deno-bare` (`bare_server.ts`) and
 * `full`, this project's server (TLS, JWT with the token cache, call logging
 * at info, metrics). Needs `node` on the PATH.
 */
export const RUNTIMES_COMPARISON: ServerComparison = {
  summary: "this project against bare grpc-js on Node.js and on Deno",
  variants: [
    { name: "node-bare", spec: { variant: "node-bare" } },
    { name: "deno-bare", spec: { variant: "bare" } },
    { name: "full", spec: { variant: "full", logLevel: "info" } },
  ],
};
