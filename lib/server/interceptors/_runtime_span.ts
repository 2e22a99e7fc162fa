/**
 * Deno's own span for an incoming HTTP/2 request, taken over as the call's
 * span.
 *
 * Under `OTEL_DENO=true`, Deno's `node:http2` starts a server span for every
 * request stream it receives (named after the HTTP method, `POST`, with
 * `url.path` and `http.*` attributes, parented on the request's `traceparent`
 * through Deno's propagators) and ends it when the stream closes. It keeps the
 * span on the stream under a private symbol (description `kOtelSpan`, in
 * Deno 2.9.3's `ext/node/polyfills/http2.ts`) and does not make it the active
 * span, so `@opentelemetry/api` cannot reach it. A second span per call, the
 * tracing stage's own, doubles what is recorded and exported (every span's
 * end hands it to Deno's exporter thread: the largest per-call cost of tracing
 * in a CPU profile, see BENCHMARKS.md). So the stage takes Deno's span over:
 * renames it to `package.Service/Method`, adds the `rpc.*` attributes and the
 * status, and ends it with the call.
 *
 * The symbol is found by its description. A Deno whose stream keeps no such
 * span (another version, or tracing off) yields `undefined`, and the stage
 * starts its own span as it did before: tracing keeps working, and
 * tests/server/otlp_export_test.ts, which asserts one server span per call,
 * fails, so such an upgrade cannot go unnoticed.
 *
 * @module
 */
import type { CallSpan } from "../../shared/tracing.ts";

/** What the tracing stage does with Deno's span beyond a {@linkcode CallSpan}. */
export interface RuntimeSpan extends CallSpan {
  /** Renames the span. */
  updateName(name: string): unknown;
  /** Adds attributes. */
  setAttributes(attributes: Readonly<Record<string, string | number>>): unknown;
}

/** Description of Deno's private symbol for the stream's span. */
const SPAN_SYMBOL_DESCRIPTION = "kOtelSpan";

/** The symbol once found; `null` once looked for in vain. */
let spanKey: symbol | null | undefined;

function keyOf(stream: object): symbol | null {
  if (spanKey === undefined) {
    spanKey = Object.getOwnPropertySymbols(stream)
      .find((symbol) => symbol.description === SPAN_SYMBOL_DESCRIPTION) ?? null;
  }
  return spanKey;
}

function isRuntimeSpan(value: unknown): value is RuntimeSpan {
  const span = value as Partial<Record<keyof RuntimeSpan, unknown>> | null | undefined;
  return typeof span?.spanContext === "function" && typeof span.setAttribute === "function" &&
    typeof span.setAttributes === "function" && typeof span.updateName === "function" &&
    typeof span.setStatus === "function" && typeof span.end === "function";
}

/**
 * Deno's span for this HTTP/2 request stream, if it keeps one.
 *
 * @param stream the call's `node:http2` server stream
 * @returns the span, or `undefined` (no such span on this runtime)
 *
 * @example
 * ```ts
 * const span = runtimeSpanOf(http2StreamOf(call));
 * span?.updateName("helloworld.Greeter/SayHello");
 * ```
 */
export function runtimeSpanOf(stream: object | undefined): RuntimeSpan | undefined {
  if (stream === undefined) return undefined;
  const key = keyOf(stream);
  if (key === null) return undefined;
  const span = (stream as Record<symbol, unknown>)[key];
  return isRuntimeSpan(span) ? span : undefined;
}

/**
 * Takes Deno's span off the stream without ending it, so Deno does not end it
 * when the stream closes: a span never ended is never exported (this is how a
 * call the sampler leaves out costs no export).
 *
 * @param stream the stream {@linkcode runtimeSpanOf} found the span on
 *
 * @example
 * ```ts
 * if (!sampled) detachRuntimeSpan(http2StreamOf(call));
 * ```
 */
export function detachRuntimeSpan(stream: object | undefined): void {
  if (stream === undefined || typeof spanKey !== "symbol") return;
  (stream as Record<symbol, unknown>)[spanKey] = undefined;
}
