/**
 * Tracing helpers shared by server and client: whether OpenTelemetry tracing
 * is on, W3C trace context in gRPC metadata, and the RPC semantic-convention
 * attributes.
 *
 * Spans go through `@opentelemetry/api`. Nothing registers a tracer provider
 * here: Deno does, when started with `OTEL_DENO=true`, and exports spans with
 * the standard `OTEL_EXPORTER_OTLP_*` settings. Without it the API's provider
 * is a no-op proxy, {@linkcode tracingEnabled} is false and the interceptors
 * are left out entirely, so tracing off costs nothing per call.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import {
  type Attributes,
  type Context,
  createTraceState,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
  type Tracer,
} from "@opentelemetry/api";

/** Instrumentation scope name of the project's spans. */
export const TRACER_NAME = "greeter";

/**
 * True when a real tracer provider is registered (Deno's, under
 * `OTEL_DENO=true`), false when `@opentelemetry/api` would hand out no-op
 * spans.
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) ||
    provider.getDelegateTracer(TRACER_NAME) !== undefined;
}

/** The project's tracer from the registered provider. */
export function greeterTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** `traceparent`: version, trace id, parent span id, flags (W3C Trace Context). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The caller's trace context from gRPC metadata (W3C `traceparent` and
 * `tracestate`), as a context to start the server span in; `ROOT_CONTEXT`
 * when there is none or it is malformed (the span then starts a new trace).
 *
 * This reads the headers itself rather than through the globally registered
 * propagator, so spans are parented the same whoever registered what.
 *
 * @param metadata the call's request metadata
 * @returns a context holding the remote parent, or `ROOT_CONTEXT`
 */
export function extractTraceContext(metadata: grpc.Metadata): Context {
  const values = metadata.get("traceparent");
  if (values.length !== 1 || typeof values[0] !== "string") return ROOT_CONTEXT;
  const match = TRACEPARENT.exec(values[0].trim());
  // Version ff is invalid; version 00 has exactly four fields.
  if (match === null || match[1] === "ff" || (match[1] === "00" && match[5] !== undefined)) {
    return ROOT_CONTEXT;
  }
  const parent: SpanContext = {
    traceId: match[2],
    spanId: match[3],
    traceFlags: parseInt(match[4], 16) & 1,
    isRemote: true,
  };
  if (!isSpanContextValid(parent)) return ROOT_CONTEXT;
  const state = metadata.get("tracestate");
  if (state.length > 0) parent.traceState = createTraceState(state.map(String).join(","));
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

/**
 * Writes `span`'s context into outgoing gRPC metadata as W3C `traceparent`
 * (and `tracestate` when it has one).
 *
 * @param span the client span whose child the server's span should be
 * @param metadata the call's request metadata
 */
export function injectTraceContext(span: SpanContext, metadata: grpc.Metadata): void {
  if (!isSpanContextValid(span)) return;
  const flags = (span.traceFlags & 1).toString(16).padStart(2, "0");
  metadata.set("traceparent", `00-${span.traceId}-${span.spanId}-${flags}`);
  const state = span.traceState?.serialize();
  if (state) metadata.set("tracestate", state);
}

/**
 * The RPC semantic-convention attributes of a call: `rpc.system`,
 * `rpc.service`, `rpc.method`, and the peer's `network.peer.address` and
 * `network.peer.port` when `peer` is given.
 *
 * @param path `/package.Service/Method`
 * @param peer `host:port` or `[v6]:port`, as grpc-js reports it
 * @returns the attributes to start the span with
 */
export function rpcAttributes(path: string, peer?: string): Attributes {
  const slash = path.lastIndexOf("/");
  const attributes: Attributes = {
    "rpc.system": "grpc",
    "rpc.service": path.slice(1, slash),
    "rpc.method": path.slice(slash + 1),
  };
  if (peer !== undefined) {
    const colon = peer.lastIndexOf(":");
    const port = Number(peer.slice(colon + 1));
    if (colon > 0 && Number.isInteger(port)) {
      attributes["network.peer.address"] = peer.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
      attributes["network.peer.port"] = port;
    } else {
      attributes["network.peer.address"] = peer;
    }
  }
  return attributes;
}

/** The span name the RPC conventions give a call: `package.Service/Method`. */
export function rpcSpanName(path: string): string {
  return path.startsWith("/") ? path.slice(1) : path;
}
