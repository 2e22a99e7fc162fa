/**
 * Metrics interceptor: counts every call into {@linkcode ServerMetrics}, the
 * way go-grpc-prometheus does (started, handled by code, messages each way,
 * handling time), whatever its kind.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { ServerMetrics } from "../metrics.ts";

/** Options for {@linkcode createMetricsInterceptor}. */
export interface MetricsInterceptorOptions {
  /** Where the figures go. */
  metrics: ServerMetrics;
  /** Monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
}

/**
 * Builds the metrics interceptor. Place it outermost, so that it counts the
 * calls later interceptors refuse (auth) and times the whole call.
 *
 * Per call it looks up the method's record once (one `Map` lookup) and then
 * only adds to its fields: no labels are built or hashed in the hot path.
 * Calls that end without a status passing through the interceptors (client
 * cancellation, deadline, transport limits) count as `CANCELLED`.
 */
export function createMetricsInterceptor(
  options: MetricsInterceptorOptions,
): grpc.ServerInterceptor {
  const { metrics } = options;
  const now = options.now ?? (() => performance.now());

  return (method, call) => {
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
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMessage(message, nextMessage) {
            series.messagesReceived++;
            nextMessage(message);
          },
          onCancel() {
            finish(grpc.status.CANCELLED);
          },
        });
      },
      sendMessage(message, next) {
        series.messagesSent++;
        next(message);
      },
      sendStatus(status, next) {
        finish(status.code);
        next(status);
      },
    });
  };
}
