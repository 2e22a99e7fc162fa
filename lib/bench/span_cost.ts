/**
 * What one call's span costs under Deno's OpenTelemetry, apart from
 * everything else a call does: each run is a child process with
 * `OTEL_DENO=true` exporting to an OTLP/HTTP sink, doing `iterations` rounds
 * of about `gapUs` of busy work, as a server does between calls, and in
 * each round either no span (`none`), a server span with the RPC
 * attributes that is never ended, as the sampler leaves a call's span
 * (`started`), or the same span ended, hence exported (`exported`). The
 * child's CPU time (every thread, the exporter's included, until its batch
 * is sent) per round, less `none`'s, is the span's cost. Modes rotate each
 * round; the medians are reported.
 *
 * Run as a child, this module is that child (see {@linkcode runSpanChild}).
 *
 * @module
 */
import process from "node:process";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { median } from "./median.ts";
import { startOtlpSink } from "./otlp_sink.ts";

/** What a round does with its span. */
export const SPAN_MODES = ["none", "started", "exported"] as const;

/** One of {@linkcode SPAN_MODES}. */
export type SpanMode = typeof SPAN_MODES[number];

/** Options for {@linkcode measureSpanCost}. */
export interface SpanCostOptions {
  /** Runs of each mode. */
  rounds: number;
  /** Calls (loop rounds) per run. */
  iterations: number;
  /** Busy work between spans, µs. */
  gapUs: number;
  /** Where the progress lines go. @default console.log */
  print?: (line: string) => void;
}

/** Median CPU per call of each mode, µs, and the sink's count. */
export interface SpanCost {
  /** Per mode: median process CPU per call, µs. */
  cpuUsPerCall: Record<SpanMode, number>;
  /** Trace export requests the sink received over all runs. */
  exports: number;
}

const ATTRIBUTES = {
  "rpc.system": "grpc",
  "rpc.service": "helloworld.Greeter",
  "rpc.method": "SayHello",
  "network.peer.address": "127.0.0.1",
  "network.peer.port": 50000,
};

/**
 * The child side: runs `mode` and prints `{"cpuUsPerCall": N}`.
 *
 * @param mode what each round does with its span
 * @param iterations calls
 * @param gapUs busy work between them, µs
 *
 * @example
 * ```ts
 * await runSpanChild("exported", 5000, 200); // under OTEL_DENO=true
 * ```
 */
export async function runSpanChild(
  mode: SpanMode,
  iterations: number,
  gapUs: number,
): Promise<void> {
  const tracer = trace.getTracer("greeter");
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    if (mode !== "none") {
      const span = tracer.startSpan("helloworld.Greeter/SayHello", {
        kind: SpanKind.SERVER,
        attributes: ATTRIBUTES,
      }, context.active());
      span.setAttribute("rpc.grpc.status_code", 0);
      if (mode === "exported") span.end();
    }
    // A server yields to its event loop between calls, and works in between.
    if (i % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    const until = performance.now() + gapUs / 1000;
    while (performance.now() < until) { /* busy, as a call's own work */ }
  }
  // Let the exporter send the last batch (OTEL_BSP_SCHEDULE_DELAY is short).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const used = process.cpuUsage(start);
  console.log(JSON.stringify({ cpuUsPerCall: (used.user + used.system) / iterations }));
}

async function runChild(
  mode: SpanMode,
  options: SpanCostOptions,
  endpoint: string,
): Promise<number> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-env",
      "--allow-net=127.0.0.1",
      "--allow-read",
      new URL(import.meta.url).pathname,
      mode,
      String(options.iterations),
      String(options.gapUs),
    ],
    env: {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: "bench-span-cost",
      OTEL_DENO_CONSOLE: "ignore",
      OTEL_BSP_SCHEDULE_DELAY: "200",
    },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`span cost child (${mode}) failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout)).cpuUsPerCall;
}

/**
 * Runs every mode `rounds` times, rotating the order, and prints one line a
 * round and the medians.
 *
 * @param options rounds, calls per run and the work between calls
 * @returns the medians and the sink's export count
 *
 * @example
 * ```ts
 * const { cpuUsPerCall } = await measureSpanCost({ rounds: 7, iterations: 5000, gapUs: 200 });
 * console.log(cpuUsPerCall.exported - cpuUsPerCall.none);
 * ```
 */
export async function measureSpanCost(options: SpanCostOptions): Promise<SpanCost> {
  const print = options.print ?? console.log;
  await using sink = startOtlpSink();
  const runs: Record<SpanMode, number[]> = { none: [], started: [], exported: [] };
  print(
    `# span cost under OTEL_DENO=true: ${options.iterations} calls per run, ` +
      `${options.gapUs} µs of work between spans, ${options.rounds} rounds`,
  );
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < SPAN_MODES.length; i++) {
      const mode = SPAN_MODES[(i + round) % SPAN_MODES.length];
      runs[mode].push(await runChild(mode, options, sink.endpoint));
    }
    print(
      `round ${round + 1}: ` +
        SPAN_MODES.map((mode) => `${mode} ${runs[mode][round].toFixed(1)} µs/call`).join(" | "),
    );
  }
  const cpuUsPerCall = {
    none: median(runs.none),
    started: median(runs.started),
    exported: median(runs.exported),
  };
  print(
    `median CPU per call: none ${cpuUsPerCall.none.toFixed(1)} µs; a span never ended ` +
      `(sampled out) +${(cpuUsPerCall.started - cpuUsPerCall.none).toFixed(1)} µs; ` +
      `a span exported +${(cpuUsPerCall.exported - cpuUsPerCall.none).toFixed(1)} µs ` +
      `(${sink.figures().requests} exports)`,
  );
  return { cpuUsPerCall, exports: sink.figures().requests };
}

if (import.meta.main) {
  const [mode, iterations, gapUs] = Deno.args;
  if (!(SPAN_MODES as readonly string[]).includes(mode)) throw new Error(`unknown mode ${mode}`);
  await runSpanChild(mode as SpanMode, Number(iterations), Number(gapUs));
}
