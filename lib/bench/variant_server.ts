/**
 * A Greeter server variant in its own process, for the server comparison: the
 * load generator and the server then do not share a CPU or a heap, and the
 * server's memory and CPU time are its own.
 *
 * Protocol, one JSON line each way: the parent (`spawnBenchServer`)
 * writes a {@linkcode BenchServerSpec} to stdin; the child answers
 * `{"port": N}` once listening, then serves commands, one per line: `stats`
 * (answers a {@linkcode ServerStats} line), `gc` (a full garbage collection,
 * then `stats`), `quit` (or end of input: shut down and exit).
 *
 * Variants:
 * - `full`: `startGreeterServer` with TLS, JWT auth (configurable token cache),
 *   metrics (no admin endpoint) and the logging interceptor, logging through
 *   `setupLogging` at the given level into a file (default `/dev/null`);
 *   tracing is off (no tracer provider is registered);
 * - `bare`: `startBareGreeterServer`, TLS and no interceptors;
 * - `auth-only`, `logging-only`: the bare server with just that interceptor;
 * - `chain`: the bare server with the server's interceptor chain, parts of
 *   it turned off as `chain` says (what each part costs);
 * - `node-bare`: not served here: `spawnBenchServer` runs `node_bare_server.mjs`
 *   (the bare server's contract and settings on Node.js) with the same protocol;
 * - `full` with `metrics: false` leaves the metrics stage out, and with
 *   `tracing: "auto"` under Deno's OpenTelemetry (`otlpEndpoint`) adds the
 *   tracing stage.
 *
 * Run as a child only (see `spawn_bench_server.ts` for the permissions).
 *
 * @module
 */
import { fileKeySource } from "../auth/jwks.ts";
import type * as grpc from "@grpc/grpc-js";
import process from "node:process";
import { createTokenVerifier } from "../auth/jwt.ts";
import { createAuthInterceptor } from "../server/interceptors/auth.ts";
import { createLoggingInterceptor } from "../server/interceptors/logging.ts";
import { createInterceptorChain } from "../server/interceptors/interceptor_chain.ts";
import { startGreeterServer } from "../server/greeter_server.ts";
import { createServerMetrics } from "../server/metrics.ts";
import { greeterLogger, setupLogging } from "../shared/log.ts";
import { createTraceSampler, type TraceSamplerName } from "../shared/tracing.ts";
import { startBareGreeterServer } from "./bare_server.ts";
import { perLineStreamSink } from "./per_line_sink.ts";
import { readLines } from "../shared/read_lines.ts";

/** What the child is asked to serve. */
export interface BenchServerSpec {
  /**
   * Full stack, the bare baseline, or the bare server plus one of the two
   * interceptors (to see what each costs).
   */
  variant: "full" | "bare" | "auth-only" | "logging-only" | "chain" | "node-bare";
  /** Server certificate (PEM). */
  cert: string;
  /** Server key (PEM). */
  key: string;
  /** HMAC secret as text (`full` only). */
  secret: string;
  /** Required `iss` (`full` only). */
  issuer: string;
  /** Required `aud` (`full` only). */
  audience: string;
  /** Verified-token cache size; 0 turns it off. @default the server's default */
  cacheSize?: number;
  /**
   * Public keys (a JWKS, as text) to verify tokens with instead of `secret`,
   * loaded as `GREETER_JWT_PUBLIC_KEY_FILE` would be.
   */
  publicJwks?: string;
  /**
   * The `chain` variant's stages: the bare server with the server's whole
   * interceptor chain (`createInterceptorChain`: metrics, call logging, JWT
   * auth; tracing off), less the parts turned off here, to see what each part
   * costs. @default every part on
   */
  chain?: { metrics?: boolean; auth?: boolean; echoRequestId?: boolean };
  /** Lowest log level written. @default "info" */
  logLevel?: "info" | "error";
  /** Where log lines go. @default "/dev/null" */
  logFile?: string;
  /**
   * `batching`: the project's sink (`setupLogging`'s default); `logtape-stream`:
   * {@linkcode perLineStreamSink}, one write per line, to see what batching
   * saves. @default "batching"
   */
  logSink?: "batching" | "logtape-stream";
  /** Count calls for Prometheus (`full` only), as the admin endpoint does. @default true */
  metrics?: boolean;
  /**
   * Tracing stage (`full` only): `off` leaves it out; `auto` decides as the
   * server does (on exactly when Deno's OpenTelemetry is on in the child).
   * @default "off"
   */
  tracing?: "off" | "auto";
  /**
   * Run the child with Deno's OpenTelemetry on (`OTEL_DENO=true`), exporting
   * OTLP/HTTP to this base URL. @default tracing and export off
   */
  otlpEndpoint?: string;
  /**
   * More environment for the child when `otlpEndpoint` is set (Deno's
   * `OTEL_DENO_*` switches, `OTEL_BSP_*`, the sampler), to compare settings.
   */
  otelEnv?: Record<string, string>;
  /** Which calls' spans are exported, as `OTEL_TRACES_SAMPLER` says it (`full` only). @default all */
  traceSampler?: TraceSamplerName;
  /** Its ratio, as `OTEL_TRACES_SAMPLER_ARG` says it. @default 1 */
  traceSamplerArg?: number;
}

/** Memory and CPU of the server process, from inside it. */
export interface ServerStats {
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** V8 heap reserved, bytes. */
  heapTotal: number;
  /** Memory held outside the V8 heap by JS objects, bytes. */
  external: number;
  /** User CPU time since start, µs. */
  cpuUserUs: number;
  /** System CPU time since start, µs. */
  cpuSystemUs: number;
  /** Calls the full server has seen (0 for `bare`, which counts nothing). */
  calls: number;
}

/** A started variant: its port, its call count and how to stop it. */
interface StartedVariant {
  port: number;
  calls(): number;
  shutdown(): Promise<void>;
}

/** Starts the server `spec` asks for, in this process. */
async function startVariant(spec: BenchServerSpec): Promise<StartedVariant> {
  const tls = { cert: spec.cert, key: spec.key };
  const keys = spec.publicJwks === undefined ? undefined : fileKeySource({
    path: "bench JWKS",
    readTextFile: () => Promise.resolve(spec.publicJwks!),
  });
  await keys?.ready();
  const auth = {
    ...(keys === undefined ? { secret: new TextEncoder().encode(spec.secret) } : { keys }),
    issuer: spec.issuer,
    audience: spec.audience,
    ...(spec.cacheSize === undefined ? {} : { cacheSize: spec.cacheSize }),
  };
  if (spec.variant === "full") {
    // Metrics on unless asked otherwise, as in production (the admin endpoint itself stays off).
    const server = await startGreeterServer({
      tls,
      auth,
      drainTimeoutMs: 1000,
      metrics: spec.metrics === false ? null : createServerMetrics(),
      tracing: (spec.tracing ?? "off") === "off" ? false : {
        sampler: createTraceSampler(
          spec.traceSampler ?? "parentbased_always_on",
          spec.traceSamplerArg,
        ),
      },
    });
    return {
      port: server.port,
      calls: () => server.stats.total,
      shutdown: async () => void await server.shutdown(),
    };
  }
  if (spec.variant === "node-bare") throw new Error("node-bare runs on Node.js (spawnBenchServer)");
  const interceptors: grpc.ServerInterceptor[] = [];
  if (spec.variant === "chain") {
    const parts = spec.chain ?? {};
    interceptors.push(...createInterceptorChain({
      metrics: parts.metrics === false ? null : createServerMetrics(),
      logging: {
        logger: greeterLogger("server", "call"),
        echoRequestId: parts.echoRequestId,
      },
      tracing: false,
      auth: parts.auth === false ? null : auth,
    }));
  } else if (spec.variant === "auth-only") {
    interceptors.push(createAuthInterceptor({ verifier: createTokenVerifier(auth) }));
  } else if (spec.variant === "logging-only") {
    interceptors.push(createLoggingInterceptor({ logger: greeterLogger("server", "call") }));
  }
  const server = await startBareGreeterServer({ tls, interceptors });
  return { port: server.port, calls: () => 0, shutdown: async () => void await server.shutdown() };
}

function stats(server: StartedVariant): ServerStats {
  const memory = Deno.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    calls: server.calls(),
  };
}

/** Three full collections a moment apart, so `gc` figures are settled. */
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The child side of the protocol, on this process's stdin and stdout: reads
 * the spec, starts the server, answers commands until `quit` or the end of
 * input, then shuts the server down.
 */
export async function serveVariant(): Promise<void> {
  const lines = readLines(Deno.stdin.readable);
  const first = await lines.next();
  if (first.done) return;
  const spec = JSON.parse(first.value) as BenchServerSpec;
  const log = await Deno.open(spec.logFile ?? "/dev/null", { write: true, create: true });
  await using _logging = await setupLogging({
    level: spec.logLevel ?? "info",
    stream: log.writable,
    ...(spec.logSink === "logtape-stream" ? { sink: perLineStreamSink(log.writable) } : {}),
  });
  const server = await startVariant(spec);
  const out = (value: unknown) => console.log(JSON.stringify(value));
  out({ port: server.port });
  for await (const line of lines) {
    if (line === "stats") out(stats(server));
    else if (line === "gc") {
      await collectGarbage();
      out(stats(server));
    } else if (line === "quit") break;
  }
  await server.shutdown();
}

if (import.meta.main) await serveVariant();
