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
  ProxyTracerProvider,
  type TextMapGetter,
  type TextMapSetter,
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

/** Reads trace context (`traceparent`, `tracestate`) from gRPC metadata. */
export const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get(metadata, key) {
    const values = metadata.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
};

/** Writes trace context into gRPC metadata. */
export const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set(metadata, key, value) {
    metadata.set(key, value);
  },
};

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
