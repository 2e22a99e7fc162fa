/**
 * The admin endpoint: a small plaintext HTTP server, on its own port, for the
 * tools that cannot speak gRPC over TLS: Prometheus scrapes, kubelet probes,
 * load-balancer health checks.
 *
 * - `GET /metrics`: every metric, Prometheus text format;
 * - `GET /healthz`: 200 while the process runs (liveness);
 * - `GET /readyz`: 200 while the server takes calls, 503 once shutdown has
 *   begun (readiness), so proxies and Kubernetes stop sending new calls
 *   during the drain.
 *
 * It carries no secrets and changes nothing, so it needs no auth, but it
 * listens on loopback unless the operator says otherwise.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";

/** Options for {@linkcode startAdminServer}. */
export interface AdminServerOptions {
  /** Address to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Renders `/metrics`; without it `/metrics` answers 404. */
  metrics?: { render(): Promise<string>; readonly contentType: string };
  /** True while the server takes calls (health `SERVING`). */
  ready: () => boolean;
  /** Logger for failures of the endpoint itself. */
  logger?: Logger;
  /**
   * Listen with `SO_REUSEPORT`, so a replacement worker can take the port
   * while the one it replaces drains (`GREETER_WORKER_MAX_RSS_MB`). Deno needs
   * `--unstable-net` for it. @default false
   */
  reusePort?: boolean;
}

/** A listening admin endpoint. */
export interface RunningAdminServer extends AsyncDisposable {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** `http://host:port`, IPv6 hosts in brackets. */
  readonly url: string;
  /** Stops listening and ends open requests. Idempotent. */
  shutdown(): Promise<void>;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/**
 * Builds the request handler of the admin endpoint (exported for tests and
 * for embedding in another HTTP server).
 *
 * @param options what the routes read
 * @returns a `Deno.serve` handler
 */
export function adminHandler(
  options: Pick<AdminServerOptions, "metrics" | "ready" | "logger">,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", {
        status: 405,
        headers: { ...TEXT, allow: "GET, HEAD" },
      });
    }
    switch (pathname) {
      case "/healthz":
        return new Response("ok\n", { headers: TEXT });
      case "/readyz":
        return options.ready()
          ? new Response("ready\n", { headers: TEXT })
          : new Response("shutting down\n", { status: 503, headers: TEXT });
      case "/metrics":
        if (options.metrics === undefined) break;
        try {
          return new Response(await options.metrics.render(), {
            headers: { "content-type": options.metrics.contentType },
          });
        } catch (error) {
          options.logger?.error("cannot render metrics: {error}", { error });
          return new Response("cannot render metrics\n", { status: 500, headers: TEXT });
        }
    }
    return new Response("not found\n", { status: 404, headers: TEXT });
  };
}

/**
 * Starts the admin endpoint; it listens when this returns.
 *
 * @throws {Error} naming the address when it cannot be bound
 *
 * @example
 * ```ts
 * await using admin = startAdminServer({ port: 9090, metrics, ready: () => true });
 * console.log(`${admin.url}/metrics`);
 * ```
 */
export function startAdminServer(options: AdminServerOptions): RunningAdminServer {
  const host = options.host ?? "127.0.0.1";
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port: options.port ?? 0,
      reusePort: options.reusePort ?? false,
      // Without a callback Deno prints "Listening on ..." itself.
      onListen() {},
      onError(error) {
        options.logger?.error("admin endpoint failed: {error}", { error });
        return new Response("internal error\n", { status: 500, headers: TEXT });
      },
    }, adminHandler(options));
  } catch (error) {
    throw new Error(
      `cannot listen on ${host}:${options.port ?? 0} (admin): ${(error as Error).message}`,
    );
  }
  const address = server.addr;
  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= server.shutdown());
  const urlHost = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return {
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
