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
 *
 * @example
 * ```ts
 * rpcAttributes("/helloworld.Greeter/SayHello", "127.0.0.1:50000");
 * // { "rpc.system": "grpc", "rpc.service": "helloworld.Greeter", "rpc.method": "SayHello",
 * //   "network.peer.address": "127.0.0.1", "network.peer.port": 50000 }
 * ```
 */
export function rpcAttributes(path: string, peer?: string): Record<string, string | number> {
  const attributes = rpcMethodAttributes(path);
  return peer === undefined ? attributes : { ...attributes, ...peerAttributes(peer) };
}

/**
 * The attributes that depend only on the method: `rpc.system`,
 * `rpc.service`, `rpc.method` (the tracing stage builds them once per method).
 *
 * @param path `/package.Service/Method`
 * @returns a new object with the three attributes
 *
 * @example
 * ```ts
 * rpcMethodAttributes("/helloworld.Greeter/SayHello")["rpc.method"]; // "SayHello"
 * ```
 */
export function rpcMethodAttributes(path: string): Record<string, string | number> {
  const slash = path.lastIndexOf("/");
  return {
    "rpc.system": "grpc",
    "rpc.service": path.slice(1, slash),
    "rpc.method": path.slice(slash + 1),
  };
}

/**
 * The peer's `network.peer.address` and `network.peer.port` (the address
 * alone when `peer` has no port).
 *
 * @param peer `host:port` or `[v6]:port`, as grpc-js reports it
 * @returns a new object with the peer attributes
 *
 * @example
 * ```ts
 * peerAttributes("[::1]:50000"); // { "network.peer.address": "::1", "network.peer.port": 50000 }
 * ```
 */
export function peerAttributes(peer: string): Record<string, string | number> {
  const colon = peer.lastIndexOf(":");
  const port = Number(peer.slice(colon + 1));
  if (colon > 0 && Number.isInteger(port)) {
    return {
      "network.peer.address": peer.slice(0, colon).replace(/^\[(.*)\]$/, "$1"),
      "network.peer.port": port,
    };
  }
  return { "network.peer.address": peer };
}

/** The span name the RPC conventions give a call: `package.Service/Method`. */
export function rpcSpanName(path: string): string {
  return path.startsWith("/") ? path.slice(1) : path;
}

/**
 * The samplers of the OpenTelemetry environment specification
 * (`OTEL_TRACES_SAMPLER`) that the server honours itself: Deno 2.9.3 records
 * and exports every span whatever the variable says.
 */
export const TRACE_SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

/** One of {@linkcode TRACE_SAMPLERS}. */
export type TraceSamplerName = typeof TRACE_SAMPLERS[number];

/**
 * Decides whether a call's span is exported: given its trace id and the
 * caller's sampled flag (`undefined` when the call carried no valid
 * `traceparent`).
 */
export type TraceSampler = (traceId: string, parentSampled: boolean | undefined) => boolean;

/**
 * A sampler as `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` describe
 * it. `traceidratio` keeps a trace when the low 52 bits of its trace id, as a
 * fraction, fall below `ratio`, so every service sampling at the same ratio
 * keeps the same traces; the `parentbased_*` samplers follow the caller's
 * sampled flag when there is a caller and use the named root sampler
 * otherwise.
 *
 * @param name the sampler
 * @param ratio the `traceidratio` probability, 0 to 1 (ignored by the others)
 * @returns the sampler, or `undefined` for `always_on` and
 *   `parentbased_always_on` (every span is exported: nothing to decide)
 *
 * @example Keep one trace in ten, and whatever the caller kept
 * ```ts
 * import { createTraceSampler } from "@greeter/deno-grpc";
 *
 * const sampler = createTraceSampler("parentbased_traceidratio", 0.1);
 * sampler?.("4bf92f3577b34da6a3ce929d0e0e4736", undefined); // false: 0.91 >= 0.1
 * sampler?.("4bf92f3577b34da6a3ce929d0e0e4736", true); // true: the caller sampled it
 * ```
 */
export function createTraceSampler(
  name: TraceSamplerName,
  ratio = 1,
): TraceSampler | undefined {
  const root: (traceId: string) => boolean = name.endsWith("always_on")
    ? () => true
    : name.endsWith("always_off")
    ? () => false
    : (traceId) => parseInt(traceId.slice(-13), 16) / 2 ** 52 < ratio;
  if (name === "always_on" || name === "parentbased_always_on") return undefined;
  if (!name.startsWith("parentbased_")) return (traceId) => root(traceId);
  return (traceId, parentSampled) => parentSampled ?? root(traceId);
}
