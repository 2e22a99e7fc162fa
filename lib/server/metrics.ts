/**
 * Server metrics for Prometheus: the per-call series in the names and labels
 * go-grpc-prometheus and nice-grpc-prometheus use, so existing dashboards and
 * alerts work unchanged, plus the Greeter's own operational gauges and the
 * usual process metrics (from `prom-client`).
 *
 * Series, in Prometheus text format:
 * - `grpc_server_started_total`, `grpc_server_handled_total` (with
 *   `grpc_code`), `grpc_server_msg_received_total`,
 *   `grpc_server_msg_sent_total` and the `grpc_server_handling_seconds`
 *   histogram, labelled `grpc_type`, `grpc_service`, `grpc_method`;
 * - `greeter_calls_in_flight` (same labels), `greeter_auth_failures_total`
 *   (by `reason`), `greeter_open_connections`, `greeter_open_streams`,
 *   `greeter_log_lines_suppressed_total`, `greeter_ready`;
 * - `process_*` and `nodejs_*` from `prom-client`'s default metrics.
 *
 * Why the per-call series are not `prom-client` counters: a labelled
 * `prom-client` child hashes its label values and validates them on every
 * `inc()` and `observe()`. Here each method gets one plain record of numbers
 * the first time it is called (or when it is pre-registered), and a call
 * only adds to fields of that record; the text is built at scrape time.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import client from "prom-client";

/**
 * Upper bounds of `grpc_server_handling_seconds`, in seconds: Prometheus'
 * default buckets, which go-grpc-prometheus uses.
 */
export const GRPC_HANDLING_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** The `grpc_type` label: what go-grpc-prometheus calls the four RPC kinds. */
export type GrpcType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

/** What metrics need to know of a method: grpc-js's method definitions fit. */
export interface MethodShape {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** True when the client sends a stream. */
  readonly requestStream: boolean;
  /** True when the server sends a stream. */
  readonly responseStream: boolean;
}

/**
 * The `grpc_type` of a method.
 *
 * @param method its streaming shape
 * @returns `unary`, `client_stream`, `server_stream` or `bidi_stream`
 */
export function grpcTypeOf(
  method: Pick<MethodShape, "requestStream" | "responseStream">,
): GrpcType {
  if (method.requestStream) return method.responseStream ? "bidi_stream" : "client_stream";
  return method.responseStream ? "server_stream" : "unary";
}

/** Highest gRPC status code (`UNAUTHENTICATED`, 16). */
const MAX_STATUS_CODE = 16;

/**
 * The live numbers of one method. The metrics interceptor adds to these
 * fields directly; nothing here allocates per call.
 */
export class MethodSeries {
  /** Its `grpc_type`, `grpc_service` and `grpc_method` labels. */
  readonly labels: Readonly<Record<"grpc_type" | "grpc_service" | "grpc_method", string>>;
  /** Calls started. */
  started = 0;
  /** Calls started and not yet ended. */
  inFlight = 0;
  /** Messages received from clients. */
  messagesReceived = 0;
  /** Messages sent to clients. */
  messagesSent = 0;
  /** Calls ended, by status code (index = code). */
  readonly handled: Float64Array = new Float64Array(MAX_STATUS_CODE + 1);
  /** Handling-time histogram: calls per bucket (not cumulative), last slot is `+Inf`. */
  readonly buckets: Float64Array;
  /** Sum of handling times, seconds. */
  secondsSum = 0;
  readonly #bounds: readonly number[];

  /**
   * Builds the record for one method.
   * @param method the method
   * @param bounds histogram upper bounds, ascending
   */
  constructor(method: MethodShape, bounds: readonly number[]) {
    const slash = method.path.lastIndexOf("/");
    this.labels = {
      grpc_type: grpcTypeOf(method),
      grpc_service: method.path.slice(1, slash),
      grpc_method: method.path.slice(slash + 1),
    };
    this.#bounds = bounds;
    this.buckets = new Float64Array(bounds.length + 1);
  }

  /**
   * Counts a finished call.
   * @param code its status code
   * @param seconds how long it took
   */
  finish(code: number, seconds: number): void {
    this.inFlight--;
    this.handled[code >= 0 && code <= MAX_STATUS_CODE ? code : grpc.status.UNKNOWN]++;
    this.secondsSum += seconds;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    this.buckets[i]++;
  }
}

/** Live figures that other parts of the server own; metrics read them at scrape time. */
export interface MetricSources {
  /** Open client connections (HTTP/2 sessions). */
  openConnections?: () => number;
  /** Open HTTP/2 streams, whatever became of them. */
  openStreams?: () => number;
  /**
   * Log lines the server chose not to write (rate-limited logging of rejected
   * calls), as a running total.
   */
  suppressedLogLines?: () => number;
  /** True while the server takes calls (health `SERVING`). */
  ready?: () => boolean;
}

/** Options for {@linkcode createServerMetrics}. */
export interface ServerMetricsOptions {
  /** Also export `prom-client`'s process and runtime metrics. @default true */
  processMetrics?: boolean;
  /** Upper bounds of the handling-time histogram, seconds, ascending. @default GRPC_HANDLING_BUCKETS */
  buckets?: readonly number[];
  /**
   * Index of the `GREETER_WORKERS` worker counting these calls: every series
   * gets a `worker` label, so the per-worker endpoints can be summed
   * (`sum without (worker) (...)`) or told apart. @default none (no label)
   */
  worker?: number;
}

/** The server's metrics: what the interceptors update and `/metrics` renders. */
export interface ServerMetrics {
  /** The registry behind `/metrics` (add your own metrics to it). */
  readonly registry: client.Registry;
  /** The record of `method`, created on first use. */
  forMethod(method: MethodShape): MethodSeries;
  /**
   * Creates the records of every method of `service` now, so their series
   * show up as zeros before the first call (rates and alerts need that).
   */
  preRegister(service: Readonly<Record<string, MethodShape>>): void;
  /**
   * Counts a refused token.
   * @param reason a short, bounded reason code such as `expired` or `signature`
   */
  recordAuthFailure(reason: string): void;
  /** Connects the gauges to the parts of the server that own the figures. */
  setSources(sources: MetricSources): void;
  /** Renders every metric in the Prometheus text format. */
  render(): Promise<string>;
  /** `Content-Type` of {@linkcode render}'s output. */
  readonly contentType: string;
}

/**
 * Builds the server's metrics, in a registry of their own (never
 * `prom-client`'s global one, so two servers in one process do not mix).
 *
 * @example
 * ```ts
 * const metrics = createServerMetrics();
 * const interceptor = createMetricsInterceptor({ metrics });
 * console.log(await metrics.render());
 * ```
 */
export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const bounds = options.buckets ?? GRPC_HANDLING_BUCKETS;
  for (let i = 0; i < bounds.length; i++) {
    if (!Number.isFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw new RangeError("histogram buckets must be finite and ascending");
    }
  }
  const registry = new client.Registry();
  if (options.worker !== undefined) registry.setDefaultLabels({ worker: String(options.worker) });
  const series = new Map<string, MethodSeries>();
  let sources: MetricSources = {};

  const forMethod = (method: MethodShape) => {
    let record = series.get(method.path);
    if (record === undefined) {
      record = new MethodSeries(method, bounds);
      series.set(method.path, record);
    }
    return record;
  };

  const each = (value: (s: MethodSeries) => number) => () =>
    Array.from(series.values(), (s) => ({ labels: s.labels, value: value(s) }));
  registry.registerMetric(scrapeTimeMetric(
    "grpc_server_started_total",
    "counter",
    "Total number of RPCs started on the server.",
    each((s) => s.started),
  ));
  registry.registerMetric(scrapeTimeMetric(
    "grpc_server_handled_total",
    "counter",
    "Total number of RPCs completed on the server, regardless of success or failure.",
    () => {
      const values: Sample[] = [];
      for (const s of series.values()) {
        for (let code = 0; code <= MAX_STATUS_CODE; code++) {
          values.push({
            labels: { ...s.labels, grpc_code: grpc.status[code] },
            value: s.handled[code],
          });
        }
      }
      return values;
    },
  ));
  registry.registerMetric(scrapeTimeMetric(
    "grpc_server_msg_received_total",
    "counter",
    "Total number of RPC stream messages received on the server.",
    each((s) => s.messagesReceived),
  ));
  registry.registerMetric(scrapeTimeMetric(
    "grpc_server_msg_sent_total",
    "counter",
    "Total number of gRPC stream messages sent by the server.",
    each((s) => s.messagesSent),
  ));
  const le = [...bounds.map((b) => String(b)), "+Inf"];
  registry.registerMetric(scrapeTimeMetric(
    "grpc_server_handling_seconds",
    "histogram",
    "Histogram of response latency (seconds) of gRPC that had been application-level " +
      "handled by the server.",
    () => {
      const values: Sample[] = [];
      for (const s of series.values()) {
        let cumulative = 0;
        for (let i = 0; i < le.length; i++) {
          cumulative += s.buckets[i];
          values.push({
            metricName: "grpc_server_handling_seconds_bucket",
            labels: { ...s.labels, le: le[i] },
            value: cumulative,
          });
        }
        values.push({
          metricName: "grpc_server_handling_seconds_sum",
          labels: s.labels,
          value: s.secondsSum,
        });
        values.push({
          metricName: "grpc_server_handling_seconds_count",
          labels: s.labels,
          value: cumulative,
        });
      }
      return values;
    },
  ));
  registry.registerMetric(scrapeTimeMetric(
    "greeter_calls_in_flight",
    "gauge",
    "Calls started and not yet ended.",
    each((s) => s.inFlight),
  ));

  const authFailures = new client.Counter({
    name: "greeter_auth_failures_total",
    help: "Calls refused for their token, by reason.",
    labelNames: ["reason"],
    registers: [registry],
  });
  new client.Gauge({
    name: "greeter_open_connections",
    help: "Open client connections (HTTP/2 sessions).",
    registers: [registry],
    collect() {
      this.set(sources.openConnections?.() ?? 0);
    },
  });
  new client.Gauge({
    name: "greeter_open_streams",
    help: "Open HTTP/2 streams, as grpc-js counts them.",
    registers: [registry],
    collect() {
      this.set(sources.openStreams?.() ?? 0);
    },
  });
  new client.Counter({
    name: "greeter_log_lines_suppressed_total",
    help: "Log lines not written because logging of rejected calls was rate-limited.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.suppressedLogLines?.() ?? 0);
    },
  });
  new client.Gauge({
    name: "greeter_ready",
    help: "1 while the server takes calls (health SERVING), 0 once shutdown begins.",
    registers: [registry],
    collect() {
      this.set(sources.ready?.() ?? true ? 1 : 0);
    },
  });
  if (options.processMetrics ?? true) client.collectDefaultMetrics({ register: registry });

  return {
    registry,
    forMethod,
    preRegister(service) {
      for (const method of Object.values(service)) forMethod(method);
    },
    recordAuthFailure(reason) {
      authFailures.labels(reason).inc();
    },
    setSources(next) {
      sources = { ...sources, ...next };
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** One sample of a {@linkcode scrapeTimeMetric}. */
interface Sample {
  metricName?: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A metric whose samples are read at scrape time, in the shape
 * `prom-client`'s registry renders (`name`, `help`, `type` and `get()`
 * returning the samples); the registry escapes the label values.
 */
function scrapeTimeMetric(
  name: string,
  type: "counter" | "gauge" | "histogram",
  help: string,
  samples: () => Sample[],
): client.Metric {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => ({ name, help, type, aggregator: "sum", values: samples() }),
  };
  return metric as unknown as client.Metric;
}
