/**
 * Side-by-side server comparison for the bench scripts: every variant runs
 * in its own child process (see `variant_server.ts`) at the same time, and the
 * load generator (this process) takes turns on them, round after round, with
 * the order rotated each round. Each round gives one ratio per variant to the
 * baseline (the first variant), so slow drifts of a noisy machine hit both
 * sides of a ratio alike; the medians of those ratios are the result.
 *
 * Figures per variant and round:
 * - calls/s as the client sees it (closed loop, fixed concurrency);
 * - messages/s, both directions (requests sent plus replies received);
 * - server CPU time per call (user + system, from inside the server process),
 *   which still shows the server's own cost when the client is the bottleneck;
 * - how busy each side was: server and load-generator CPU time as a share of
 *   the turn's wall time (1 = one core), and the load generator's CPU per
 *   call. On a machine with few cores the client competes with the server:
 *   the side near 1 is the one that limits the figures.
 *
 * @module
 */
import process from "node:process";
import { generateDevPki } from "../shared/dev_certs.ts";
import type { RpcKind } from "../shared/rpc_kinds.ts";
import type { GreeterConnection } from "../client/greeter_client.ts";
import { openSeparateConnections } from "./connections.ts";
import { runLoad } from "./load_runner.ts";
import { median } from "./median.ts";
import { COMPARE_SETTINGS } from "./script_settings.ts";
import { createPatternCall } from "./bench_calls.ts";
import {
  BENCH_AUDIENCE,
  BENCH_ISSUER,
  benchKeyPair,
  benchKeyTokenProvider,
  benchTokenProvider,
} from "./bench_token_provider.ts";
import { spawnBenchServer } from "./spawn_bench_server.ts";
import type { BenchServerSpec, ServerStats } from "./variant_server.ts";

/** One server to compare: a name and what differs from the defaults. */
export interface Variant {
  /** Label in the output. */
  name: string;
  /** The server's settings apart from certificates and secret. */
  spec: Pick<
    BenchServerSpec,
    | "variant"
    | "chain"
    | "cacheSize"
    | "logLevel"
    | "logFile"
    | "logSink"
    | "metrics"
    | "tracing"
    | "otlpEndpoint"
    | "otelEnv"
    | "traceSampler"
    | "traceSamplerArg"
  >;
  /**
   * Serve this variant from another checkout of the project (its root
   * directory), to compare a change before and after side by side.
   * @default this checkout
   */
  checkout?: string;
  /**
   * Sign tokens with a fresh key pair of this algorithm and have the server
   * verify them with its public key (a JWKS), instead of the shared secret.
   */
  signWith?: "ES256" | "RS256" | "PS256" | "EdDSA";
}

/** Options for {@linkcode compareServers}. */
export interface CompareOptions {
  /** Servers; the first is the baseline of every ratio. */
  variants: readonly Variant[];
  /** Rounds (each variant measured once per round). @default 5 */
  rounds?: number;
  /** Measurement window per variant and round, ms. @default 4000 */
  durationMs?: number;
  /** Warm-up per variant and round, ms. @default 500 */
  warmupMs?: number;
  /**
   * Load each server this long before the first round, unrecorded, ms. A
   * fresh process spends its first seconds running code not yet optimised and
   * growing its heap: without this, the first rounds of a unary comparison
   * came out 20-60 % slower per call than the later ones, in a different
   * proportion for each variant. @default 3000 (`COMPARE_SETTINGS`)
   */
  settleMs?: number;
  /** Calls in flight. @default 32 */
  concurrency?: number;
  /** Connections per variant. @default 2 */
  channels?: number;
  /** Pattern. @default "unary" */
  pattern?: RpcKind;
  /** Messages per streaming call. @default 10 */
  messages?: number;
  /** Write a CPU profile of each server process into this directory. */
  cpuProfileDir?: string;
  /** Where the progress lines (settings, one per round, the medians) go. @default console.log */
  print?: (line: string) => void;
}

/** Figures of one variant in one round. */
export interface RoundFigures {
  /** Calls per second seen by the client. */
  callsPerSecond: number;
  /** Messages per second, both directions (requests sent plus replies received). */
  messagesPerSecond: number;
  /** Server CPU (user + system) per call, µs. */
  serverCpuUsPerCall: number;
  /** Load generator (this process) CPU per call, µs. */
  clientCpuUsPerCall: number;
  /** Server CPU time over the turn's wall time: 1 is one core kept busy. */
  serverCpuShare: number;
  /** Load generator CPU time over the turn's wall time: 1 is one core kept busy. */
  clientCpuShare: number;
  /** Calls that did not end OK. */
  failures: number;
}

/** The result of {@linkcode compareServers}. */
export interface Comparison {
  /** Per variant name: the figures of each round. */
  rounds: Record<string, RoundFigures[]>;
  /** Per variant name: median over rounds of (variant / baseline) calls/s. */
  medianThroughputRatio: Record<string, number>;
  /** Per variant name: median over rounds of (variant / baseline) server CPU per call. */
  medianCpuRatio: Record<string, number>;
  /** Per variant name: median over rounds of (variant / baseline) messages/s. */
  medianMessagesRatio: Record<string, number>;
}

/**
 * Runs the comparison and prints its settings, one line per round and the
 * median ratios.
 *
 * @param options variants, rounds and load shape
 * @returns every figure and the median ratios
 */
export async function compareServers(options: CompareOptions): Promise<Comparison> {
  const rounds = options.rounds ?? COMPARE_SETTINGS.rounds.default;
  const pattern = options.pattern ?? COMPARE_SETTINGS.pattern.default;
  const print = options.print ?? console.log;
  const pki = await generateDevPki();
  const secret = `bench-secret-${crypto.randomUUID()}`;
  const pairs = await Promise.all(
    options.variants.map((v) => v.signWith === undefined ? undefined : benchKeyPair(v.signWith)),
  );
  const servers = await Promise.all(options.variants.map((v, i) =>
    spawnBenchServer({
      cert: pki.serverCert,
      key: pki.serverKey,
      secret,
      issuer: BENCH_ISSUER,
      audience: BENCH_AUDIENCE,
      ...v.spec,
      ...(pairs[i] === undefined ? {} : { publicJwks: pairs[i]!.publicJwks }),
    }, { cpuProfileDir: options.cpuProfileDir, checkout: v.checkout })
  ));
  const secretTokens = benchTokenProvider(secret);
  const connections: GreeterConnection[][] = servers.map((server, i) =>
    openSeparateConnections({
      target: `localhost:${server.port}`,
      tls: { ca: pki.caCert },
      tokenProvider: pairs[i] === undefined ? secretTokens : benchKeyTokenProvider(pairs[i]!),
      deadlineMs: 10_000,
      // No grpc-js retries: a retried call would hide a failure, and the retry
      // machinery keeps every request of a client stream until the call ends
      // (about 12 % of the load generator's CPU on 100-request client streams),
      // CPU the servers compete for on a small machine.
      channelOptions: { "grpc.enable_retries": 0 },
    }, options.channels ?? COMPARE_SETTINGS.channels.default)
  );
  const settleMs = options.settleMs ?? COMPARE_SETTINGS.settleMs.default;
  const figures: Record<string, RoundFigures[]> = {};
  for (const v of options.variants) figures[v.name] = [];
  const settings = `${pattern}, concurrency ${
    options.concurrency ?? COMPARE_SETTINGS.concurrency.default
  }, channels ${options.channels ?? COMPARE_SETTINGS.channels.default}, ${
    (options.durationMs ?? COMPARE_SETTINGS.durationMs.default) / 1000
  } s per run, ${rounds} rounds${
    settleMs > 0 ? `, each server loaded ${settleMs / 1000} s first` : ""
  }`;
  print(`# ${options.variants.map((v) => v.name).join(" vs ")} (${settings})`);
  const patternCall = (i: number) =>
    createPatternCall(pattern, {
      connections: connections[i],
      messages: options.messages ?? COMPARE_SETTINGS.messages.default,
    });
  try {
    for (let i = 0; i < servers.length && settleMs > 0; i++) {
      await runLoad({
        call: patternCall(i),
        concurrency: options.concurrency ?? COMPARE_SETTINGS.concurrency.default,
        durationMs: settleMs,
        warmupMs: 0,
      });
    }
    for (let round = 0; round < rounds; round++) {
      const order = options.variants.map((_, i) => (i + round) % options.variants.length);
      for (const i of order) {
        const before = await servers[i].stats();
        const clientBefore = process.cpuUsage();
        const started = performance.now();
        const result = await runLoad({
          call: patternCall(i),
          concurrency: options.concurrency ?? COMPARE_SETTINGS.concurrency.default,
          durationMs: options.durationMs ?? COMPARE_SETTINGS.durationMs.default,
          warmupMs: options.warmupMs ?? 500,
        });
        const wallUs = (performance.now() - started) * 1000;
        const clientUsed = process.cpuUsage(clientBefore);
        const after = await servers[i].stats();
        // The stats window includes the warm-up; the CPU figures are per call served in it.
        const served = result.calls + result.warmupCalls;
        const serverUs = Math.max(0, cpuUs(after) - cpuUs(before));
        const clientUs = clientUsed.user + clientUsed.system;
        figures[options.variants[i].name].push({
          callsPerSecond: result.callsPerSecond,
          messagesPerSecond: result.messagesPerSecond + result.messagesSentPerSecond,
          serverCpuUsPerCall: served > 0 ? serverUs / served : 0,
          clientCpuUsPerCall: served > 0 ? clientUs / served : 0,
          serverCpuShare: wallUs > 0 ? serverUs / wallUs : 0,
          clientCpuShare: wallUs > 0 ? clientUs / wallUs : 0,
          failures: result.calls - (result.statuses.OK ?? 0),
        });
      }
      const base = figures[options.variants[0].name][round];
      print(
        `round ${round + 1}: ` + options.variants.map((v) => {
          const f = figures[v.name][round];
          return `${v.name} ${f.callsPerSecond.toFixed(0)}/s ${
            f.messagesPerSecond.toFixed(0)
          } msgs/s ${f.serverCpuUsPerCall.toFixed(0)} µs/call (busy: server ${
            percent(f.serverCpuShare)
          }, client ${percent(f.clientCpuShare)})` +
            (v === options.variants[0]
              ? ""
              : ` (x${(f.callsPerSecond / base.callsPerSecond).toFixed(3)} calls/s, x${
                (f.serverCpuUsPerCall / base.serverCpuUsPerCall).toFixed(3)
              } cpu)`) +
            (f.failures > 0 ? ` ${f.failures} FAILED` : "");
        }).join(" | "),
      );
    }
  } finally {
    for (const list of connections) for (const c of list) c.close();
    await Promise.all(servers.map((s) => s.close()));
  }
  const baseline = figures[options.variants[0].name];
  const medianThroughputRatio: Record<string, number> = {};
  const medianCpuRatio: Record<string, number> = {};
  const medianMessagesRatio: Record<string, number> = {};
  for (const v of options.variants.slice(1)) {
    const mine = figures[v.name];
    medianMessagesRatio[v.name] = median(
      mine.map((f, r) => f.messagesPerSecond / baseline[r].messagesPerSecond),
    );
    medianThroughputRatio[v.name] = median(
      mine.map((f, r) => f.callsPerSecond / baseline[r].callsPerSecond),
    );
    medianCpuRatio[v.name] = median(
      mine.map((f, r) => f.serverCpuUsPerCall / baseline[r].serverCpuUsPerCall),
    );
    print(
      `median ${v.name}/${options.variants[0].name}: calls/s x${
        medianThroughputRatio[v.name].toFixed(3)
      }, msgs/s x${medianMessagesRatio[v.name].toFixed(3)}, server CPU per call x${
        medianCpuRatio[v.name].toFixed(3)
      } ` +
        `(medians: ${median(mine.map((f) => f.callsPerSecond)).toFixed(0)} vs ${
          median(baseline.map((f) => f.callsPerSecond)).toFixed(0)
        } calls/s, ${median(mine.map((f) => f.serverCpuUsPerCall)).toFixed(0)} vs ${
          median(baseline.map((f) => f.serverCpuUsPerCall)).toFixed(0)
        } µs/call)`,
    );
  }
  for (const v of options.variants) {
    const mine = figures[v.name];
    print(
      `median busy ${v.name}: server ${percent(median(mine.map((f) => f.serverCpuShare)))}, ` +
        `client ${percent(median(mine.map((f) => f.clientCpuShare)))} of a core; client ${
          median(mine.map((f) => f.clientCpuUsPerCall)).toFixed(0)
        } µs/call`,
    );
  }
  return { rounds: figures, medianThroughputRatio, medianCpuRatio, medianMessagesRatio };
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)} %`;
}

function cpuUs(stats: ServerStats): number {
  return stats.cpuUserUs + stats.cpuSystemUs;
}
