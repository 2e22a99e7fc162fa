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
  type Context,
  createTraceState,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from "@opentelemetry/api";

/**
 * What the tracing interceptors need of a tracer. `@opentelemetry/api`'s
 * `Tracer` fits (pass `trace.getTracer(name)`); so does a test's recorder.
 */
export interface SpanStarter {
  /**
   * Starts a span.
   * @param name span name
   * @param options its kind and starting attributes
   * @param context the parent context (an `@opentelemetry/api` `Context`)
   */
  startSpan(name: string, options: SpanStartOptions, context: unknown): CallSpan;
}

/** How the interceptors start a span: its kind and attributes. */
export interface SpanStartOptions {
  /** `SpanKind.SERVER` (1) or `SpanKind.CLIENT` (2). */
  kind: number;
  /** RPC semantic-convention attributes. */
  attributes: Readonly<Record<string, string | number>>;
}

/** What the tracing interceptors do with a span. */
export interface CallSpan {
  /** Its trace and span id, and trace flags (1 = sampled). */
  spanContext(): CallSpanContext;
  /** Sets one attribute, such as `rpc.grpc.status_code`. */
  setAttribute(key: string, value: number | string): unknown;
  /** Marks the span failed (`SpanStatusCode.ERROR`, 2) with a message. */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Ends the span. */
  end(): void;
}

/** The ids of a {@linkcode CallSpan}. */
export interface CallSpanContext {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** W3C trace flags; bit 0 is "sampled". */
  traceFlags: number;
}

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
export function greeterTracer(): SpanStarter {
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
export function injectTraceContext(
  span: CallSpanContext & Pick<SpanContext, "traceState">,
  metadata: grpc.Metadata,
): void {
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
export function rpcAttributes(path: string, peer?: string): Record<string, string | number> {
  const slash = path.lastIndexOf("/");
  const attributes: Record<string, string | number> = {
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
