/**
 * Tracing interceptor: one server span per call, with the OpenTelemetry RPC
 * semantic conventions, parented on the caller's W3C `traceparent`.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  type CallSpan,
  extractTraceContext,
  rpcAttributes,
  rpcSpanName,
  type SpanStarter,
} from "../../shared/tracing.ts";
import { peerOf } from "./_peer.ts";

/** Options for {@linkcode createTracingInterceptor}. */
export interface TracingInterceptorOptions {
  /** Where spans come from (`greeterTracer()` with Deno's OTel on; tests pass their own). */
  tracer: SpanStarter;
  /**
   * Called once the call's span exists, with its ids, so other parts of the
   * server (the call context, hence the log line) can carry them.
   */
  onSpan?: (metadata: grpc.Metadata, traceId: string, spanId: string) => void;
}

/**
 * Status codes that mark a server span as an error, per the RPC semantic
 * conventions: the server's own failures, not the caller's mistakes.
 */
const SERVER_ERRORS = new Set<grpc.status>([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

/**
 * Builds the tracing interceptor. Install it only when tracing is on
 * (`tracingEnabled()`): with tracing off the server leaves it out, so no span
 * work happens at all.
 *
 * The span starts when the call's metadata arrives (its parent is read from
 * `traceparent`/`tracestate` there) and ends with the status, carrying
 * `rpc.system`, `rpc.service`, `rpc.method`, `network.peer.address`,
 * `network.peer.port` and `rpc.grpc.status_code`. Calls that end without a
 * status (cancellation, deadline, transport limits) end as `CANCELLED`.
 */
export function createTracingInterceptor(
  options: TracingInterceptorOptions,
): grpc.ServerInterceptor {
  const { tracer, onSpan } = options;
  const name = new Map<string, string>();

  return (method, call) => {
    // Read now: once the stream has closed, grpc-js reports "unknown".
    const peer = peerOf(call);
    let span: CallSpan | undefined;
    const finish = (code: grpc.status, details: string | undefined) => {
      if (span === undefined) return;
      span.setAttribute("rpc.grpc.status_code", code);
      if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
      span.end();
      span = undefined;
    };
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            let spanName = name.get(method.path);
            if (spanName === undefined) {
              spanName = rpcSpanName(method.path);
              name.set(method.path, spanName);
            }
            const parent = extractTraceContext(metadata);
            span = tracer.startSpan(spanName, {
              kind: SpanKind.SERVER,
              attributes: rpcAttributes(method.path, peer),
            }, parent);
            if (onSpan !== undefined) {
              const { traceId, spanId } = span.spanContext();
              onSpan(metadata, traceId, spanId);
            }
            nextMetadata(metadata);
          },
          onCancel() {
            finish(grpc.status.CANCELLED, "ended before a status was sent");
          },
        });
      },
      sendStatus(status, next) {
        finish(status.code, status.details);
        next(status);
      },
    });
  };
}
