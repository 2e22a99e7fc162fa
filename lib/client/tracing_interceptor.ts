/**
 * Client tracing interceptor: one client span per call, whose context goes to
 * the server as W3C `traceparent` (and `tracestate`), so the server's span is
 * its child.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  type CallSpan,
  injectTraceContext,
  rpcAttributes,
  rpcSpanName,
  type SpanStarter,
} from "../shared/tracing.ts";

/** Options for {@linkcode createClientTracingInterceptor}. */
export interface ClientTracingInterceptorOptions {
  /** Where spans come from (`greeterTracer()` with Deno's OTel on; tests pass their own). */
  tracer: SpanStarter;
}

/**
 * Builds a grpc-js client interceptor that starts a `CLIENT` span per call
 * (parented on the active context, so a harness scenario span or an
 * application's own span becomes its parent), injects it into the outgoing
 * metadata, and ends it with the status. Pass it only when tracing is on
 * (`tracingEnabled()`).
 *
 * @example
 * ```ts
 * const client = new Greeter(target, credentials, {
 *   interceptors: [createClientTracingInterceptor({ tracer: greeterTracer() })],
 * });
 * ```
 */
export function createClientTracingInterceptor(
  options: ClientTracingInterceptorOptions,
): grpc.Interceptor {
  const { tracer } = options;
  return (callOptions, nextCall) => {
    const path = callOptions.method_definition.path;
    let span: CallSpan | undefined;
    return new grpc.InterceptingCall(nextCall(callOptions), {
      start(metadata, _listener, next) {
        const parent = context.active();
        const started = tracer.startSpan(rpcSpanName(path), {
          kind: SpanKind.CLIENT,
          attributes: rpcAttributes(path),
        }, parent);
        span = started;
        injectTraceContext(started.spanContext(), metadata);
        // The rest of the call runs with this span active, so a span the
        // runtime makes for the HTTP/2 request (Deno's own `POST` span, which
        // also writes `traceparent`) is this span's child, in the same trace.
        const active = trace.setSpan(parent, started as unknown as Span);
        const proceed = () =>
          next(metadata, {
            onReceiveStatus(status, nextStatus) {
              span?.setAttribute("rpc.grpc.status_code", status.code);
              if (status.code !== grpc.status.OK) {
                span?.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
              }
              span?.end();
              span = undefined;
              nextStatus(status);
            },
          });
        context.with(active, proceed);
      },
    });
  };
}
