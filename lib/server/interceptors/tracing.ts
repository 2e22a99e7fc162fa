/**
 * Tracing interceptor: one server span per call, with the OpenTelemetry RPC
 * semantic conventions, parented on the caller's W3C `traceparent`. Under
 * Deno's OpenTelemetry that span is the one Deno already starts for the
 * HTTP/2 request (see `_runtime_span.ts`), so a call records one span, not two.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  type CallSpan,
  extractTraceContext,
  peerAttributes,
  rpcMethodAttributes,
  rpcSpanName,
  type SpanStarter,
  type TraceSampler,
} from "../../shared/tracing.ts";
import { peerOf } from "./_peer.ts";
import { http2StreamOf } from "../_call_layers.ts";
import { detachRuntimeSpan, runtimeSpanOf } from "./_runtime_span.ts";
import { type CallStage, composeCallStages } from "./call_stage.ts";

/** Options for {@linkcode createTracingInterceptor}. */
export interface TracingInterceptorOptions {
  /** Where spans come from (`greeterTracer()` with Deno's OTel on; tests pass their own). */
  tracer: SpanStarter;
  /**
   * Take over the span Deno's `node:http2` starts for each request (under
   * `OTEL_DENO=true`) as the call's span, rather than start a second one;
   * `tracer` then serves only where there is no such span. Deno exports
   * `rpc.grpc.status_code` of that span as an integer.
   * @default false
   */
  adoptRuntimeSpan?: boolean;
  /**
   * Which calls' spans are exported, decided once the span exists: given its
   * trace id and the caller's sampled flag (`undefined` without a valid
   * `traceparent`). A span left out is never ended, hence never exported; its
   * ids still reach the log line. @default every call
   */
  sampler?: TraceSampler;
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

/** Span name and method attributes, built once per method. */
interface MethodSpanInfo {
  name: string;
  attributes: Readonly<Record<string, string | number>>;
}

/** The caller's trace id and sampled flag from `traceparent`, `undefined` without one. */
function callerTrace(metadata: grpc.Metadata): { traceId: string; sampled: boolean } | undefined {
  const values = metadata.get("traceparent");
  if (values.length !== 1 || typeof values[0] !== "string") return undefined;
  const parts = /^([0-9a-f]{2})-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})/.exec(values[0].trim());
  return parts === null || parts[1] === "ff" || /^0+$/.test(parts[2]) ? undefined : {
    traceId: parts[2],
    sampled: (parseInt(parts[3], 16) & 1) === 1,
  };
}

/**
 * Builds the tracing interceptor. Install it only when tracing is on
 * (`tracingEnabled()`): with tracing off the server leaves it out, so no span
 * work happens at all.
 *
 * The span starts when the call's metadata arrives (its parent is read from
 * `traceparent`/`tracestate` there; an adopted Deno span was parented by Deno
 * from the same headers) and ends with the status, carrying `rpc.system`,
 * `rpc.service`, `rpc.method`, `network.peer.address`, `network.peer.port`
 * and `rpc.grpc.status_code`. Calls that end without a status (cancellation,
 * deadline, transport limits) end as `CANCELLED`.
 *
 * @param options where spans come from, and what to tell the rest of the server
 * @returns the interceptor
 *
 * @example
 * ```ts
 * import { greeterTracer } from "../../shared/tracing.ts";
 *
 * const tracing = createTracingInterceptor({ tracer: greeterTracer(), adoptRuntimeSpan: true });
 * ```
 */
export function createTracingInterceptor(
  options: TracingInterceptorOptions,
): grpc.ServerInterceptor {
  return composeCallStages([["tracing", tracingStage(options)]]);
}

/**
 * The tracing stage (see `call_stage.ts`): what {@linkcode createTracingInterceptor}
 * does, for a chain of stages.
 *
 * @param options where spans come from, and what to tell the rest of the server
 * @returns the stage
 *
 * @example
 * ```ts
 * import { greeterTracer } from "../../shared/tracing.ts";
 *
 * const stage = tracingStage({ tracer: greeterTracer(), adoptRuntimeSpan: true });
 * ```
 */
export function tracingStage(options: TracingInterceptorOptions): CallStage {
  const { tracer, onSpan, sampler } = options;
  const adopt = options.adoptRuntimeSpan ?? false;
  const methods = new Map<string, MethodSpanInfo>();
  const methodInfo = (path: string): MethodSpanInfo => {
    let info = methods.get(path);
    if (info === undefined) {
      info = { name: rpcSpanName(path), attributes: rpcMethodAttributes(path) };
      methods.set(path, info);
    }
    return info;
  };

  return (method, call) => {
    // Read now: once the stream has closed, grpc-js reports "unknown".
    const peer = peerOf(call);
    const stream = adopt ? http2StreamOf(call) : undefined;
    let span: CallSpan | undefined;
    // Deno's span takes a BigInt as an integer attribute; other tracers get a number.
    let integer: (value: number) => number | bigint = Number;
    const finish = (code: grpc.status, details: string | undefined) => {
      if (span === undefined) return;
      span.setAttribute("rpc.grpc.status_code", integer(code) as number);
      if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
      span.end();
      span = undefined;
    };
    return {
      onReceiveMetadata(metadata, nextMetadata) {
        const info = methodInfo(method.path);
        const caller = callerTrace(metadata);
        let runtime = runtimeSpanOf(stream);
        // Deno parents its span through its own propagators (`OTEL_PROPAGATORS`); one
        // that missed the caller's traceparent is left to Deno, and the call gets its own.
        if (
          runtime !== undefined && caller !== undefined &&
          runtime.spanContext().traceId !== caller.traceId
        ) {
          runtime = undefined;
        }
        const started: CallSpan = runtime ?? tracer.startSpan(info.name, {
          kind: SpanKind.SERVER,
          attributes: { ...info.attributes, ...peerAttributes(peer) },
        }, extractTraceContext(metadata));
        const { traceId, spanId } = started.spanContext();
        if (sampler === undefined || sampler(traceId, caller?.sampled)) {
          span = started;
          if (runtime !== undefined) {
            runtime.updateName(info.name);
            runtime.setAttributes(info.attributes);
            runtime.setAttributes(peerAttributes(peer));
            integer = BigInt;
          }
        } else if (runtime !== undefined) {
          detachRuntimeSpan(stream);
        }
        onSpan?.(metadata, traceId, spanId);
        nextMetadata(metadata);
      },
      onCancel() {
        finish(grpc.status.CANCELLED, "ended before a status was sent");
      },
      sendStatus(status) {
        finish(status.code, status.details);
      },
    };
  };
}
