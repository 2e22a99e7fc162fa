/**
 * A Greeter server in its own process for the bench scripts, so the load
 * generator and the server do not share a CPU or a heap, and the server's
 * memory and CPU time are its own.
 *
 * The parent ({@linkcode spawnBenchServer}) writes one JSON line of
 * {@linkcode BenchServerSpec} to the child's stdin; the child answers with a
 * JSON line `{"port": N}` once listening, then serves commands, one per line:
 * `stats` (answers a {@linkcode ServerStats} line), `gc` (a full garbage
 * collection, then `stats`), `quit` (or end of input: shut down and exit).
 *
 * Variants:
 * - `full`: `startGreeterServer` with TLS, JWT auth (configurable token cache)
 *   and the logging interceptor, logging through the normal `setupLogging`
 *   stream sink at the given level into a file (default `/dev/null`);
 * - `bare`: `startBareGreeterServer`, TLS and no interceptors;
 * - `auth-only`, `logging-only`: the bare server with just that interceptor.
 *
 * Run as a child only: `deno run --allow-net=127.0.0.1 --allow-read
 * --allow-write=/dev/null --allow-sys --v8-flags=--expose-gc scripts/bench_server.ts`.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { getStreamSink, getTextFormatter } from "@logtape/logtape";
import process from "node:process";
import { createTokenVerifier } from "../auth/jwt.ts";
import {
  createTokenProvider,
  mintingTokenSource,
  type TokenProvider,
} from "../client/token_provider.ts";
import { createAuthInterceptor } from "../server/interceptors/auth.ts";
import { createLoggingInterceptor } from "../server/interceptors/logging.ts";
import { startBareGreeterServer } from "./bare_server.ts";
import { greeterLogger, setupLogging } from "../shared/log.ts";
import { startGreeterServer } from "../server/greeter_server.ts";

/** Issuer the bench servers require and the bench clients mint. */
export const BENCH_ISSUER = "greeter-bench";
/** Audience the bench servers require and the bench clients mint. */
export const BENCH_AUDIENCE = "helloworld.Greeter";

/** A token provider minting bench tokens from `secret`, as every bench client uses. */
export function benchTokenProvider(secret: string): TokenProvider {
  return createTokenProvider({
    source: mintingTokenSource({
      secret: new TextEncoder().encode(secret),
      issuer: BENCH_ISSUER,
      audience: BENCH_AUDIENCE,
      subject: "bench",
    }),
  });
}

/** What the child is asked to serve. */
export interface BenchServerSpec {
  /**
   * Full stack, the bare baseline, or the bare server plus one of the two
   * interceptors (to see what each costs).
   */
  variant: "full" | "bare" | "auth-only" | "logging-only";
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
  /** Lowest log level written. @default "info" */
  logLevel?: "info" | "error";
  /** Where log lines go. @default "/dev/null" */
  logFile?: string;
  /**
   * `batching`: the project's sink (`setupLogging`'s default); `logtape-stream`:
   * logtape's own non-blocking stream sink with its "bare" text formatter,
   * one write per line, as `lib/log.ts` had it before. @default "batching"
   */
  logSink?: "batching" | "logtape-stream";
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

/** A running child server, from {@linkcode spawnBenchServer}. */
export interface BenchServerProcess extends AsyncDisposable {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** The child's own memory and CPU figures. */
  stats(): Promise<ServerStats>;
  /** Forces a full garbage collection in the child, then reports {@linkcode stats}. */
  gcStats(): Promise<ServerStats>;
  /** Shuts the child down and waits for it to exit. */
  close(): Promise<void>;
}

/** How to start the child. */
export interface SpawnOptions {
  /** Write a V8 CPU profile (`.cpuprofile`) of the child into this directory on exit. */
  cpuProfileDir?: string;
}

/**
 * Starts `spec` in a child Deno process and resolves once it listens.
 *
 * @param spec what to serve
 * @param options profiling
 * @returns the child; close (or `await using`) it when done
 *
 * @example
 * ```ts
 * await using server = await spawnBenchServer({ variant: "bare", cert, key, secret, issuer, audience });
 * console.log(server.port, (await server.stats()).rss);
 * ```
 */
export async function spawnBenchServer(
  spec: BenchServerSpec,
  options: SpawnOptions = {},
): Promise<BenchServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-read",
      `--allow-write=${spec.logFile ?? "/dev/null"}`,
      "--allow-env",
      "--allow-sys",
      "--v8-flags=--expose-gc",
      ...(options.cpuProfileDir === undefined
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`]),
      new URL(import.meta.url).pathname,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const lines = readLines(child.stdout);
  const send = async (text: string) => await writer.write(encoder.encode(`${text}\n`));
  const receive = async <T>(): Promise<T> => {
    const { value, done } = await lines.next();
    if (done) throw new Error("bench server exited unexpectedly");
    return JSON.parse(value) as T;
  };
  await send(JSON.stringify(spec));
  const { port } = await receive<{ port: number }>();
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await send("quit").catch(() => {});
      await writer.close().catch(() => {});
      await child.status;
      // Drain what is left so the stdout resource closes.
      for await (const _ of lines);
    })();
    return closed;
  };
  return {
    port,
    async stats() {
      await send("stats");
      return await receive<ServerStats>();
    },
    async gcStats() {
      await send("gc");
      return await receive<ServerStats>();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
}

async function serve(): Promise<void> {
  const lines = readLines(Deno.stdin.readable);
  const first = await lines.next();
  if (first.done) return;
  const spec = JSON.parse(first.value) as BenchServerSpec;
  const log = await Deno.open(spec.logFile ?? "/dev/null", { write: true, create: true });
  await using _logging = await setupLogging({
    level: spec.logLevel ?? "info",
    stream: log.writable,
    // The sink lib/log.ts used before it batched writes, for the before/after figure.
    ...(spec.logSink === "logtape-stream"
      ? {
        sink: getStreamSink(log.writable, {
          formatter: getTextFormatter({ timestamp: "date-time-tz", value: "bare" }),
          nonBlocking: true,
          closeStream: false,
        }),
      }
      : {}),
  });
  const tls = { cert: spec.cert, key: spec.key };
  const auth = {
    secret: new TextEncoder().encode(spec.secret),
    issuer: spec.issuer,
    audience: spec.audience,
    ...(spec.cacheSize === undefined ? {} : { cacheSize: spec.cacheSize }),
  };
  let interceptors: grpc.ServerInterceptor[] = [];
  if (spec.variant === "auth-only") {
    interceptors = [createAuthInterceptor({ verifier: createTokenVerifier(auth) })];
  } else if (spec.variant === "logging-only") {
    interceptors = [createLoggingInterceptor({ logger: greeterLogger("server", "call") })];
  }
  const server = spec.variant === "full"
    ? await startGreeterServer({ tls, auth, drainTimeoutMs: 1000 })
    : await startBareGreeterServer({ tls, interceptors });
  const calls = () => "stats" in server ? server.stats.total : 0;
  const stats = (): ServerStats => {
    const memory = Deno.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      calls: calls(),
    };
  };
  const out = (value: unknown) => console.log(JSON.stringify(value));
  out({ port: server.port });
  for await (const line of lines) {
    if (line === "stats") out(stats());
    else if (line === "gc") {
      const gc = (globalThis as { gc?: () => void }).gc;
      for (let i = 0; i < 3; i++) {
        gc?.();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      out(stats());
    } else if (line === "quit") break;
  }
  await server.shutdown();
}

if (import.meta.main) await serve();
