/**
 * Server memory with many open bidi streams: the full-stack server runs in
 * its own process (`variant_server.ts`, which reports `Deno.memoryUsage()`
 * from inside it after a forced full GC); this process opens many concurrent
 * `SayHelloBidirectional` calls over a few long-lived connections, does one
 * ping-pong on each so every stream is really open on the server, holds them,
 * then ends them all and waits for their OK status. That cycle repeats on the
 * same connections.
 *
 * Printed per cycle: RSS and heap before, while all streams are open, and
 * after they closed. "No growth after close" means the after-figures stay
 * flat from cycle to cycle. Connections are kept open across cycles on
 * purpose: Deno's HTTP/2 server keeps about 33 KB per connection that was
 * opened and closed (a known runtime issue), which long-lived channels avoid.
 *
 * @module
 */
import type { BidiCall, GreeterConnection } from "../client/greeter_client.ts";
import { generateDevPki } from "../shared/dev_certs.ts";
import { BENCH_AUDIENCE, BENCH_ISSUER, benchTokenProvider } from "./bench_token_provider.ts";
import { openSeparateConnections } from "./connections.ts";
import { STREAMS_MEMORY_SETTINGS } from "./script_settings.ts";
import { spawnBenchServer } from "./spawn_bench_server.ts";
import type { ServerStats } from "./variant_server.ts";

/** Settings of one run. */
export interface StreamsMemoryOptions {
  /** Streams open at once. @default 1000 */
  streams?: number;
  /** Connections they are spread over (the server allows 1000 streams per connection). @default 4 */
  channels?: number;
  /** Open-hold-close cycles. @default 3 */
  cycles?: number;
  /** How long the streams are held open, ms. @default 2000 */
  holdMs?: number;
  /** Where the progress lines (one per cycle, the growth over them) go. @default console.log */
  print?: (line: string) => void;
}

/** Memory of the server at the three points of one cycle. */
export interface CycleMemory {
  /** Before the streams open. */
  before: ServerStats;
  /** While all streams are open. */
  during: ServerStats;
  /** After all streams have closed. */
  after: ServerStats;
}

/**
 * Runs the cycles, printing one line per cycle and the growth over them.
 *
 * @param options streams, connections, cycles
 * @returns the memory figures of each cycle
 */
export async function measureStreamsMemory(
  options: StreamsMemoryOptions = {},
): Promise<CycleMemory[]> {
  const defaults = STREAMS_MEMORY_SETTINGS;
  const streams = options.streams ?? defaults.streams.default;
  const channels = options.channels ?? defaults.channels.default;
  const cycles = options.cycles ?? defaults.cycles.default;
  const print = options.print ?? console.log;
  const pki = await generateDevPki();
  const secret = `bench-secret-${crypto.randomUUID()}`;
  await using server = await spawnBenchServer({
    variant: "full",
    cert: pki.serverCert,
    key: pki.serverKey,
    secret,
    issuer: BENCH_ISSUER,
    audience: BENCH_AUDIENCE,
    logLevel: "info",
  });
  const tokenProvider = benchTokenProvider(secret);
  const connections: GreeterConnection[] = openSeparateConnections({
    target: `localhost:${server.port}`,
    tls: { ca: pki.caCert },
    tokenProvider,
    deadlineMs: 120_000,
  }, channels);
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
  const figures: CycleMemory[] = [];
  try {
    // Connect and warm up (TLS, JIT, first allocations) before the first "before".
    await Promise.all(connections.map((c) => c.sayHello({ name: "warm-up" })));
    print(
      `# ${streams} concurrent bidi streams over ${channels} connections, ${cycles} cycles ` +
        `(server RSS / heap used after a full GC)`,
    );
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const before = await server.gcStats();
      const calls: BidiCall[] = [];
      for (let i = 0; i < streams; i++) {
        calls.push(connections[i % channels].sayHelloBidirectional());
      }
      // One ping-pong each: the server now holds every stream with a handler running.
      await Promise.all(calls.map(async (call, i) => {
        await call.send({ name: `stream-${i}` });
        const reply = await call.next();
        if (reply === undefined) throw new Error(`stream ${i} ended early`);
      }));
      await new Promise((resolve) =>
        setTimeout(resolve, options.holdMs ?? defaults.holdMs.default)
      );
      const during = await server.gcStats();
      const statuses = await Promise.all(calls.map(async (call) => {
        call.end();
        while ((await call.next()) !== undefined);
        return (await call.status).code;
      }));
      const failed = statuses.filter((code) => code !== 0).length;
      if (failed > 0) throw new Error(`${failed} streams did not end OK`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = await server.gcStats();
      figures.push({ before, during, after });
      print(
        `cycle ${cycle}: RSS ${mb(before.rss)} -> ${mb(during.rss)} open -> ${
          mb(after.rss)
        } closed | heap ${mb(before.heapUsed)} -> ${mb(during.heapUsed)} -> ${
          mb(after.heapUsed)
        } | per open stream: ${
          ((during.heapUsed - before.heapUsed) / streams / 1024).toFixed(1)
        } KB heap, ${((during.rss - before.rss) / streams / 1024).toFixed(1)} KB RSS`,
      );
    }
  } finally {
    for (const connection of connections) connection.close();
  }
  const first = figures[0].after;
  const last = figures[figures.length - 1].after;
  print(
    `after close, cycle 1 -> ${cycles}: RSS ${mb(first.rss)} -> ${mb(last.rss)} (${
      mb(last.rss - first.rss)
    }), heap ${mb(first.heapUsed)} -> ${mb(last.heapUsed)} (${mb(last.heapUsed - first.heapUsed)})`,
  );
  return figures;
}
