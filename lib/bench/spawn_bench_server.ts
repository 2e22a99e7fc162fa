/**
 * The parent side of the variant server: starts `variant_server.ts` in a
 * child Deno process (or, for `node-bare`, `node_bare_server.mjs` under
 * Node.js, which must be on the PATH) and speaks its stdin/stdout protocol.
 *
 * @module
 */
import { readLines } from "../shared/read_lines.ts";
import { SERVER_CONNECTION_OPTIONS } from "../server/greeter_server.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../shared/defaults.ts";
import type { BenchServerSpec, ServerStats } from "./variant_server.ts";

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
  /**
   * Root of another checkout of this project whose `lib/bench/variant_server.ts`
   * serves the variant, to measure a change before and after in one run.
   * @default this checkout
   */
  checkout?: string;
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
  const profile = options.cpuProfileDir === undefined
    ? []
    : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`];
  const command = spec.variant === "node-bare"
    ? new Deno.Command("node", {
      args: [
        "--expose-gc",
        ...profile,
        new URL("./node_bare_server.mjs", import.meta.url).pathname,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-net=127.0.0.1",
        "--allow-read",
        `--allow-write=${spec.logFile ?? "/dev/null"}`,
        "--allow-env",
        "--allow-sys",
        "--v8-flags=--expose-gc",
        ...profile,
        options.checkout === undefined
          ? new URL("./variant_server.ts", import.meta.url).pathname
          : `${options.checkout}/lib/bench/variant_server.ts`,
      ],
      env: spec.otlpEndpoint === undefined ? {} : {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: spec.otlpEndpoint,
        OTEL_SERVICE_NAME: `bench-${spec.variant}`,
        OTEL_DENO_CONSOLE: "ignore",
        ...spec.otelEnv,
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    });
  const child = command.spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const lines = readLines(child.stdout);
  const send = async (text: string) => await writer.write(encoder.encode(`${text}\n`));
  const receive = async <T>(): Promise<T> => {
    const { value, done } = await lines.next();
    if (done) throw new Error("bench server exited unexpectedly");
    return JSON.parse(value) as T;
  };
  // The Node.js server cannot import the TypeScript settings: they travel with the spec.
  await send(JSON.stringify({
    ...spec,
    connectionOptions: SERVER_CONNECTION_OPTIONS,
    maxReceiveMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  }));
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
