/**
 * Metrics interceptor: counts every call into {@linkcode ServerMetrics}, the
 * way go-grpc-prometheus does (started, handled by code, messages each way,
 * handling time), whatever its kind.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { MethodSeries, ServerMetrics } from "../metrics.ts";
import {
  type CallHooks,
  type CallStage,
  type CallStatus,
  composeCallStages,
} from "./call_stage.ts";

/** Options for {@linkcode createMetricsInterceptor}. */
export interface MetricsInterceptorOptions {
  /** Where the figures go. */
  metrics: ServerMetrics;
  /** Monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
}

/**
 * The metrics stage (see `call_stage.ts`). Place it first, so that it counts
 * the calls later stages refuse (auth) and times the whole call.
 *
 * Per call it looks up the method's record once (one `Map` lookup) and then
 * only adds to its fields: no labels are built or hashed in the hot path.
 * Calls that end without a status passing through the stages (client
 * cancellation, deadline, transport limits) count as `CANCELLED`.
 *
 * @example
 * ```ts
 * const interceptor = composeCallStages([["metrics", metricsStage({ metrics })]]);
 * ```
 */
export function metricsStage(options: MetricsInterceptorOptions): CallStage {
  const { metrics } = options;
  const now = options.now ?? (() => performance.now());
  return (method) => new MetricsHooks(metrics.forMethod(method), now);
}

/** One call's metrics: its method's record and when it started (one object per call, no closures). */
class MetricsHooks implements CallHooks {
  readonly started: number;
  done = false;

  constructor(readonly series: MethodSeries, readonly now: () => number) {
    this.started = now();
    series.started++;
    series.inFlight++;
  }

  finish(code: grpc.status): void {
    if (this.done) return;
    this.done = true;
    this.series.finish(code, (this.now() - this.started) / 1000);
  }

  onReceiveMessage(): void {
    this.series.messagesReceived++;
  }

  onCancel(): void {
    this.finish(grpc.status.CANCELLED);
  }

  sendMessage(): void {
    this.series.messagesSent++;
  }

  sendStatus(status: CallStatus): void {
    this.finish(status.code);
  }
}

/**
 * Builds the metrics interceptor: {@linkcode metricsStage} as a grpc-js
 * interceptor of its own. Place it outermost.
 *
 * @example
 * ```ts
 * const server = new grpc.Server({ interceptors: [createMetricsInterceptor({ metrics })] });
 * ```
 */
export function createMetricsInterceptor(
  options: MetricsInterceptorOptions,
): grpc.ServerInterceptor {
  return composeCallStages([["metrics", metricsStage(options)]]);
}
