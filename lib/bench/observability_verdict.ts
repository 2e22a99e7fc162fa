/**
 * What `scripts/bench_observability.ts` compares and how it judges the
 * result: the full server with neither metrics nor tracing, with the tracing
 * stage left to decide for itself while OpenTelemetry is off, with metrics,
 * and with metrics and tracing exporting every span. Two more show where the
 * cost lies: `deno-otel`, metrics under `OTEL_DENO=true` without the tracing
 * stage (Deno's own span per HTTP/2 request and its exporter: the floor of
 * any tracing on this runtime), and `metrics+tracing 1/10`, which samples one
 * new trace in ten (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`,
 * `OTEL_TRACES_SAMPLER_ARG=0.1`).
 *
 * @module
 */
import type { Variant } from "./compare_servers.ts";

/** Least acceptable (metrics + tracing) / baseline calls/s. */
export const MIN_OBSERVED_RATIO = 0.95;
/** Least acceptable (tracing off, auto) / baseline calls/s: the noise floor. */
export const MIN_TRACING_OFF_RATIO = 0.98;

/**
 * The six servers, the baseline first.
 *
 * @param otlpEndpoint where the traced variant exports its spans
 * @returns the variants for `compareServers`
 *
 * @example
 * ```ts
 * await compareServers({ variants: observabilityVariants(sink.endpoint) });
 * ```
 */
export function observabilityVariants(otlpEndpoint: string): Variant[] {
  const full = { variant: "full", logLevel: "info" } as const;
  return [
    { name: "full", spec: { ...full, metrics: false, tracing: "off" } },
    { name: "tracing-off", spec: { ...full, metrics: false, tracing: "auto" } },
    { name: "metrics", spec: { ...full, metrics: true, tracing: "off" } },
    {
      name: "metrics+tracing",
      spec: { ...full, metrics: true, tracing: "auto", otlpEndpoint },
    },
    { name: "deno-otel", spec: { ...full, metrics: true, tracing: "off", otlpEndpoint } },
    {
      name: "metrics+tracing 1/10",
      spec: {
        ...full,
        metrics: true,
        tracing: "auto",
        otlpEndpoint,
        traceSampler: "parentbased_traceidratio",
        traceSamplerArg: 0.1,
      },
    },
  ];
}

function percent(ratio: number | undefined): string {
  return ratio === undefined ? "not measured" : `${(ratio * 100).toFixed(1)} %`;
}

/** What {@linkcode observabilityVerdict} judges. */
export interface ObservabilityFigures {
  /** Median calls/s ratios to the baseline, by variant name. */
  ratios: Record<string, number>;
  /** Trace export requests the sink received. */
  requests: number;
  /** Bytes it received. */
  bytes: number;
}

/**
 * The script's closing lines and exit code: 0 when both targets are met and
 * spans reached the receiver, 1 otherwise (the Deno floor and the sampled
 * variant are shown, not judged).
 *
 * @param figures the comparison's ratios and the sink's counts
 * @returns the lines to print and the exit code
 *
 * @example
 * ```ts
 * const { lines, code } = observabilityVerdict({ ratios, ...sink.figures() });
 * ```
 */
export function observabilityVerdict(figures: ObservabilityFigures): {
  lines: string[];
  code: number;
} {
  const { requests, bytes } = figures;
  const observed = figures.ratios["metrics+tracing"];
  const off = figures.ratios["tracing-off"];
  const lines = [
    `OTLP receiver: ${requests} trace exports, ${(bytes / 1e6).toFixed(1)} MB`,
    `metrics+tracing / full calls/s: ${(observed * 100).toFixed(1)} % ` +
    `(target >= ${MIN_OBSERVED_RATIO * 100} %)`,
    `tracing off (auto) / full calls/s: ${(off * 100).toFixed(1)} % ` +
    `(target >= ${MIN_TRACING_OFF_RATIO * 100} %)`,
    `Deno's OpenTelemetry alone (its span per request) / full calls/s: ${
      percent(figures.ratios["deno-otel"])
    }; metrics+tracing sampling 1/10: ${percent(figures.ratios["metrics+tracing 1/10"])}`,
  ];
  if (requests === 0) {
    lines.push("no spans reached the receiver: the traced variant did not trace");
    return { lines, code: 1 };
  }
  return { lines, code: observed >= MIN_OBSERVED_RATIO && off >= MIN_TRACING_OFF_RATIO ? 0 : 1 };
}
