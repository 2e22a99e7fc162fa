/**
 * Metrics interceptor: counts every call into {@linkcode ServerMetrics}, the
 * way go-grpc-prometheus does (started, handled by code, messages each way,
 * handling time), whatever its kind.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { ServerMetrics } from "../metrics.ts";
import { type CallStage, composeCallStages } from "./call_stage.ts";

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

  return (method) => {
    const series = metrics.forMethod(method);
    const started = now();
    let done = false;
    series.started++;
    series.inFlight++;
    const finish = (code: grpc.status) => {
      if (done) return;
      done = true;
      series.finish(code, (now() - started) / 1000);
    };
    return {
      onReceiveMessage() {
        series.messagesReceived++;
      },
      onCancel() {
        finish(grpc.status.CANCELLED);
      },
      sendMessage() {
        series.messagesSent++;
      },
      sendStatus(status) {
        finish(status.code);
      },
    };
  };
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
