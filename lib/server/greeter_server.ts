/**
 * `startGreeterServer(options)`: credentials, the interceptor chain, the
 * Greeter and health services, and a graceful shutdown.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@logtape/logtape";
import { createServerCredentials, type ServerTlsMaterial } from "./credentials.ts";
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SHUTDOWN_DELAY_MS,
} from "../shared/defaults.ts";
import { addHealthService } from "./health.ts";
import { createGreeterService, type GreeterService } from "./handlers/greeter.ts";
import { toGrpcHandlers } from "./handlers/grpc_adapter.ts";
import type { ReplyFlowOptions } from "./handlers/reply_flow.ts";
import {
  type ChainAuthOptions,
  type ChainTracingOptions,
  createInterceptorChain,
} from "./interceptors/interceptor_chain.ts";
import { type CallStats, createCallLogLimiter } from "./interceptors/logging.ts";
import {
  logUnroutedCalls,
  polyfillHttp2Constants,
  refuseRepeatedHeaders,
} from "./grpc_js_answers.ts";
import { greeterLogger } from "../shared/log.ts";
import { createServerMetrics, type ServerMetrics } from "./metrics.ts";
import { type RunningAdminServer, startAdminServer } from "./admin_server.ts";
import { connectionCounts } from "./channelz_counts.ts";
import { listenOnSharedPort, type SharedPortListener } from "./shared_port.ts";
import { guardReadRate } from "./read_rate_guard.ts";
import { addReflection, REFLECTION_SERVICES } from "./reflection.ts";
import { DEFAULT_PUBLIC_SERVICES } from "./interceptors/auth.ts";
import { GREETER_SERVICE_NAME, loadGreeterProto } from "../shared/proto.ts";

/**
 * Token checks the server enforces: the verifier's options, less its clock
 * (the server passes its own `now`), and the services open without a token.
 */
export type ServerAuthOptions = ChainAuthOptions;

/** Options for {@linkcode startGreeterServer}. */
export interface GreeterServerOptions {
  /** Address to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** TLS material, or `null` for plaintext (basic mode only). */
  tls: ServerTlsMaterial | null;
  /** Token checks, or `null` to serve without auth (basic mode only). */
  auth: ServerAuthOptions | null;
  /** Largest accepted message, in bytes; larger ones get `RESOURCE_EXHAUSTED`. @default 4 MiB */
  maxReceiveMessageBytes?: number;
  /**
   * A connection that sends more than this many bytes per second for 2
   * seconds in a row is closed (a flood of frames the runtime does not limit,
   * such as WINDOW_UPDATE; see `read_rate_guard.ts`). 0 turns it off.
   * @default 0
   */
  connectionReadLimitBytesPerSecond?: number;
  /**
   * Time between the start of a shutdown (health turns `NOT_SERVING`) and the
   * moment the server stops accepting, in ms: new calls are still served
   * meanwhile, so orchestrators can take the instance out of rotation. @default 0
   */
  shutdownDelayMs?: number;
  /** Time in-flight calls get to finish once the server stops accepting, in ms. @default 10000 */
  drainTimeoutMs?: number;
  /** Pause between `SayHelloStream` replies, in ms. @default 0 */
  streamIntervalMs?: number;
  /**
   * Bounds on reply bytes written for clients that have not read them: per
   * connection, in total, and the time a call may wait before it ends
   * (`handlers/reply_flow.ts`). @default 1 MiB, 64 MiB, 30 s
   */
  replyFlow?: ReplyFlowOptions;
  /** Replaces the business logic (tests use this to inject faults). @default createGreeterService() */
  service?: GreeterService;
  /** Logger for call lines, errors and lifecycle. @default greeterLogger("server") */
  logger?: Logger;
  /** Wall clock in ms since the epoch, for token checks. @default Date.now */
  now?: () => number;
  /**
   * Server reflection: `public` serves it without a token (it reveals only the
   * schema), `authenticated` requires one like the Greeter does, `off` leaves
   * it out. @default "public"
   */
  reflection?: ReflectionMode;
  /**
   * Where calls are counted (`createServerMetrics()`). Absent: a new one when
   * the admin endpoint is on, otherwise nothing is counted.
   * @default null
   */
  metrics?: ServerMetrics | null;
  /**
   * The admin endpoint (`/metrics`, `/healthz`, `/readyz`) on its own
   * plaintext HTTP port; it closes when the shutdown has finished, so
   * `/readyz` answers 503 through the whole drain. `null` or absent: none.
   * @default null
   */
  admin?: { host?: string; port?: number } | null;
  /**
   * Listen with `SO_REUSEPORT`, so that other processes can serve the same
   * port (`GREETER_WORKERS`; see `shared_port.ts`). @default false
   */
  reusePort?: boolean;
  /**
   * Tracing: absent means on exactly when Deno's OpenTelemetry is on
   * (`OTEL_DENO=true`); `false` turns it off. @default on when tracingEnabled()
   */
  tracing?: ChainTracingOptions | false;
}

/** How the server offers reflection; see {@linkcode GreeterServerOptions.reflection}. */
export type ReflectionMode = "public" | "authenticated" | "off";

/** What a shutdown did. */
export interface ShutdownSummary {
  /** True when every in-flight call finished within the drain timeout. */
  readonly graceful: boolean;
  /** Calls in flight when shutdown began. */
  readonly inFlightAtStart: number;
  /** Calls cut off by the forced close. */
  readonly forcedCalls: number;
  /** Calls served over the server's lifetime. */
  readonly totalCalls: number;
  /** Time the shutdown took, in ms. */
  readonly durationMs: number;
}

/**
 * Where a server is in its life:
 * - `serving`: health reports `SERVING`;
 * - `delaying`: shutdown started, health reports `NOT_SERVING`, new calls are
 *   still accepted (for `shutdownDelayMs`);
 * - `draining`: no new calls or connections; in-flight calls finish;
 * - `stopped`: every call has ended and the listener is closed.
 */
export type ServerPhase = "serving" | "delaying" | "draining" | "stopped";

/** A listening server. */
export interface RunningGreeterServer extends AsyncDisposable {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** `host:port` to dial, IPv6 hosts in brackets. */
  readonly address: string;
  /** Live call counters. */
  readonly stats: Readonly<CallStats>;
  /** Where the server is in its life; see {@linkcode ServerPhase}. */
  readonly phase: ServerPhase;
  /**
   * True while the server is `serving` and ready for traffic (what a readiness
   * probe reports); false from the first moment of a shutdown.
   */
  readonly serving: boolean;
  /** The admin endpoint's base URL (`http://127.0.0.1:9464`), when it is on. */
  readonly adminUrl?: string;
  /** What the server counts, when it counts (admin endpoint on, or metrics given). */
  readonly metrics?: ServerMetrics;
  /**
   * Shuts down: health turns `NOT_SERVING` (`Check` and open `Watch` streams),
   * new calls are still accepted for `shutdownDelayMs`, then the server stops
   * accepting, ends open health `Watch` streams (`UNAVAILABLE`), lets in-flight
   * calls finish for up to `drainTimeoutMs`, and force-closes what remains.
   * Idempotent: every call returns the same promise.
   */
  shutdown(): Promise<ShutdownSummary>;
  /**
   * Like {@linkcode shutdown}, but cuts off in-flight calls now (a shutdown
   * under way skips the rest of its delay and drain).
   */
  forceShutdown(): Promise<ShutdownSummary>;
}

/**
 * Connection settings, chosen on purpose:
 * - keepalive pings every 60 s on idle connections, dropped after 20 s without
 *   an answer, so dead peers do not hold streams forever;
 * - clients may ping at most every 10 s without data before being told off;
 * - idle connections are NOT closed by the server (no `grpc.max_connection_idle_ms`):
 *   on the pinned Deno 2.9.3 a closed connection frees nothing (about 40 KB stays,
 *   docs/RUNTIME.md case h) and the client's reconnect costs another one, so closing
 *   idle clients only grows memory; and a GOAWAY sent to a client that sat idle is what
 *   aborts grpc-js clients on Deno 2.9.4-2.9.6 (case b). Dead peers are still dropped by
 *   keepalive, and grpc-js clients close their own idle channels (after 30 min by default);
 * - at most 1000 concurrent streams per connection (HTTP/2
 *   `SETTINGS_MAX_CONCURRENT_STREAMS`), bounding what one client can hold open.
 */
export const SERVER_CONNECTION_OPTIONS: grpc.ServerOptions = {
  "grpc.keepalive_time_ms": 60_000,
  "grpc.keepalive_timeout_ms": 20_000,
  "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  "grpc.max_concurrent_streams": 1000,
};

/**
 * The server cannot listen on the address it was given (in use, not a local
 * address, not permitted): a deployment mistake, not a bug.
 */
export class ListenError extends Error {
  /**
   * Builds the error.
   * @param message one line naming the address and the reason
   */
  constructor(message: string) {
    super(message);
    this.name = "ListenError";
  }
}

/**
 * On a shared port, the drain ends once no call has started for this long
 * (ms) and none is in flight: connections accepted just before the listener
 * closed finish their TLS handshake and first call in it.
 */
const SHARED_PORT_QUIET_MS = 500;

/**
 * Starts a Greeter server and resolves once it is listening.
 *
 * @example
 * ```ts
 * await using server = await startGreeterServer({ tls: { cert, key }, auth: { secret, issuer, audience } });
 * console.log(server.address);
 * ```
 *
 * @throws {ListenError} when the address cannot be bound
 */
export async function startGreeterServer(
  options: GreeterServerOptions,
): Promise<RunningGreeterServer> {
  const logger = options.logger ?? greeterLogger("server");
  const host = options.host ?? "127.0.0.1";
  const stats: CallStats = { active: 0, total: 0, suppressedLines: 0 };
  polyfillHttp2Constants();
  const callLogger = logger.getChild("call");
  // One limiter for the server's call lines, flushed (its last summaries written) at shutdown.
  const limiter = createCallLogLimiter(callLogger);

  const reflection = options.reflection ?? "public";
  const admin = options.admin ?? null;
  const metrics = options.metrics ?? (admin === null ? null : createServerMetrics());
  // Reflection is open unless the operator asks for a token (or turns it off).
  const auth = options.auth === null ? null : {
    ...options.auth,
    publicServices: withReflection(
      options.auth.publicServices ?? DEFAULT_PUBLIC_SERVICES,
      reflection === "public",
    ),
  };
  const interceptors = createInterceptorChain({
    auth,
    logging: { logger: callLogger, stats, limiter },
    metrics,
    tracing: options.tracing,
    now: options.now,
  });

  const server = new grpc.Server({
    ...SERVER_CONNECTION_OPTIONS,
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    interceptors,
  });
  const service = options.service ??
    createGreeterService({ streamIntervalMs: options.streamIntervalMs });
  server.addService(
    loadGreeterProto().helloworld.Greeter.service,
    toGrpcHandlers(service, logger.getChild("handler"), { replyFlow: options.replyFlow }),
  );
  // Health status and `phase` change together, so /readyz follows the health service.
  let phase: ServerPhase = "serving";
  const serving = () => phase === "serving";
  const health = addHealthService(server, [GREETER_SERVICE_NAME]);
  // Unknown methods never reach the interceptors: log them here, bounded like failed calls.
  logUnroutedCalls(server, ({ code, details, peer }) => {
    const status = grpc.status[code] ?? String(code);
    if (!callLogger.isEnabledFor("warning")) return;
    if (!limiter.admit(status, "unknown method")) {
      stats.suppressedLines!++;
      return;
    }
    // The method name comes from the client: only its first 200 characters are logged.
    callLogger.warn("{status} peer={peer} details={details}", {
      status,
      peer,
      details: details.slice(0, 200),
      ended: "transport",
    });
  });
  if (reflection !== "off") addReflection(server);
  if (metrics !== null) {
    metrics.preRegister(loadGreeterProto().helloworld.Greeter.service);
    metrics.setSources({
      ready: serving,
      openConnections: () => connectionCounts(server).connections,
      openStreams: () => connectionCounts(server).openStreams,
      suppressedLogLines: () => stats.suppressedLines ?? 0,
    });
  }

  const credentials = createServerCredentials(options.tls);
  const bindHost = host.includes(":") ? `[${host}]` : host;
  let shared: SharedPortListener | undefined;
  const port = options.reusePort
    ? (shared = await listenOnSharedPort(server, credentials, host, options.port ?? 0).catch(
      (error: Error) => {
        throw new ListenError(
          `cannot listen on ${bindHost}:${options.port ?? 0}: ${error.message}`,
        );
      },
    )).port
    : await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${bindHost}:${options.port ?? 0}`, credentials, (error, bound) => {
        if (error) {
          reject(
            new ListenError(`cannot listen on ${bindHost}:${options.port ?? 0}: ${error.message}`),
          );
        } else resolve(bound);
      });
    });
  // Two authorization headers must be refused, not read as the first one.
  refuseRepeatedHeaders(server);
  const readLimit = options.connectionReadLimitBytesPerSecond ?? 0;
  const readGuard = readLimit > 0
    ? guardReadRate(server, {
      maxBytesPerSecond: readLimit,
      onClose: (peer, bytesPerSecond) =>
        logger.warn(
          "connection from {peer} closed: it sent {mbps} MB/s, over the {limit} MB/s limit " +
            "(GREETER_READ_LIMIT_MBPS)",
          { peer, mbps: (bytesPerSecond / 1e6).toFixed(1), limit: readLimit / 1e6 },
        ),
    })
    : undefined;
  let adminServer: RunningAdminServer | undefined;
  if (admin !== null) {
    try {
      adminServer = startAdminServer({
        ...admin,
        metrics: metrics ?? undefined,
        ready: serving,
        logger: logger.getChild("admin"),
        reusePort: options.reusePort ?? false,
      });
    } catch (error) {
      server.forceShutdown();
      throw new ListenError((error as Error).message);
    }
  }

  const shutdownDelayMs = options.shutdownDelayMs ?? DEFAULT_SHUTDOWN_DELAY_MS;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  let stopping: Promise<ShutdownSummary> | undefined;
  // Resolves when a forced shutdown is asked for; every wait below races it.
  let forceRequested!: () => void;
  const forced = new Promise<"forced">((resolve) => (forceRequested = () => resolve("forced")));
  const shutdown = () => {
    stopping ??= (async () => {
      const started = performance.now();
      const inFlightAtStart = stats.active;
      phase = "delaying";
      health.stopServing();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const elapsed = (ms: number) =>
        new Promise<"elapsed">((resolve) => (timer = setTimeout(() => resolve("elapsed"), ms)));
      if (shutdownDelayMs > 0) {
        await Promise.race([elapsed(shutdownDelayMs), forced]);
        clearTimeout(timer);
      }
      phase = "draining";
      // A shared port (GREETER_WORKERS): stop taking connections, so new ones
      // go to the other workers. Not awaited: the listener's close waits for
      // its connections, which the drain below ends.
      void shared?.close();
      const drained = new Promise<"drained">((resolve) =>
        server.tryShutdown(() => resolve("drained"))
      );
      // tryShutdown has closed the listener and sent GOAWAY; nothing new can
      // start a Watch now, and the open ones would hold the drain forever.
      health.endWatches();
      const drainStarted = performance.now();
      let outcome = await Promise.race([drained, elapsed(drainTimeoutMs), forced]);
      clearTimeout(timer);
      if (outcome === "drained" && shared !== undefined) {
        // On a shared port grpc-js's drain ends at once on Deno, calls still
        // in flight (it does not hold the injected connections' sessions), and
        // connections whose TLS handshake was under way when the listener
        // closed have not made their first call yet; the process would exit
        // under both. Wait for the calls themselves, until none has started
        // for SHARED_PORT_QUIET_MS.
        let waiting = true;
        const callsDone = async () => {
          let seen = -1;
          while (waiting && (stats.active > 0 || stats.total !== seen)) {
            seen = stats.total;
            await new Promise((resolve) => setTimeout(resolve, SHARED_PORT_QUIET_MS));
          }
          return "drained" as const;
        };
        const left = Math.max(0, drainTimeoutMs - (performance.now() - drainStarted));
        outcome = await Promise.race([callsDone(), elapsed(left), forced]);
        waiting = false;
        clearTimeout(timer);
      }
      let forcedCalls = 0;
      if (outcome !== "drained") {
        // Count before forcing: the forced close cancels the calls, which
        // the logging interceptor then subtracts from `active`.
        forcedCalls = stats.active;
        server.forceShutdown();
      }
      limiter.flush();
      readGuard?.stop();
      await adminServer?.shutdown();
      phase = "stopped";
      return {
        graceful: outcome === "drained",
        inFlightAtStart,
        forcedCalls,
        totalCalls: stats.total,
        durationMs: Math.round(performance.now() - started),
      };
    })();
    return stopping;
  };
  const forceShutdown = () => {
    const summary = shutdown();
    forceRequested();
    return summary;
  };

  return {
    port,
    address: `${bindHost}:${port}`,
    stats,
    get phase() {
      return phase;
    },
    get serving() {
      return serving();
    },
    adminUrl: adminServer?.url,
    metrics: metrics ?? undefined,
    shutdown,
    forceShutdown,
    async [Symbol.asyncDispose]() {
      await shutdown();
    },
  };
}

/** `services` with the reflection services added (`open`) or taken out. */
function withReflection(services: readonly string[], open: boolean): string[] {
  const others = services.filter((service) => !REFLECTION_SERVICES.includes(service));
  return open ? [...others, ...REFLECTION_SERVICES] : others;
}
