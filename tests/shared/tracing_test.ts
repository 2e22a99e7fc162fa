import * as grpc from "@grpc/grpc-js";
import { trace, TraceFlags } from "@opentelemetry/api";
import assert from "node:assert/strict";
import {
  createTraceSampler,
  extractTraceContext,
  injectTraceContext,
  rpcAttributes,
  type TraceSamplerName,
  tracingEnabled,
} from "../../lib/shared/tracing.ts";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SPAN = "b7ad6b7169203331";

function metadataWith(entries: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

Deno.test("trace context reads a sampled traceparent and its tracestate", () => {
  const parent = trace.getSpanContext(extractTraceContext(metadataWith({
    traceparent: `00-${TRACE}-${SPAN}-01`,
    tracestate: "vendor=abc",
  })));
  assert.deepEqual(
    { ...parent, traceState: parent?.traceState?.serialize() },
    {
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: "vendor=abc",
    },
  );
});

const malformed: [string, string][] = [
  ["an all-zero trace id", `00-${"0".repeat(32)}-${SPAN}-01`],
  ["an all-zero span id", `00-${TRACE}-${"0".repeat(16)}-01`],
  ["upper-case hex", `00-${TRACE.toUpperCase()}-${SPAN}-01`],
  ["version ff", `ff-${TRACE}-${SPAN}-01`],
  ["a fifth field on version 00", `00-${TRACE}-${SPAN}-01-extra`],
  ["a short trace id", `00-${TRACE.slice(2)}-${SPAN}-01`],
  ["garbage", "hello"],
];
for (const [what, value] of malformed) {
  Deno.test(`trace context ignores a traceparent with ${what}`, () => {
    assert.equal(
      trace.getSpanContext(extractTraceContext(metadataWith({ traceparent: value }))),
      undefined,
    );
  });
}

Deno.test("trace context writes traceparent and tracestate that read back the same", () => {
  const metadata = new grpc.Metadata();
  injectTraceContext({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED }, metadata);
  assert.deepEqual(metadata.get("traceparent"), [`00-${TRACE}-${SPAN}-01`]);
  assert.equal(trace.getSpanContext(extractTraceContext(metadata))?.spanId, SPAN);
});

Deno.test("rpc attributes split the path and the peer, IPv6 included", () => {
  assert.deepEqual(rpcAttributes("/helloworld.Greeter/SayHello", "[::1]:50051"), {
    "rpc.system": "grpc",
    "rpc.service": "helloworld.Greeter",
    "rpc.method": "SayHello",
    "network.peer.address": "::1",
    "network.peer.port": 50051,
  });
});

Deno.test("tracing is off in a process without OTEL_DENO", () => {
  assert.equal(Deno.env.get("OTEL_DENO") === "true", tracingEnabled());
});

// Trace ids whose low 52 bits, as a fraction, are about 0.0, 0.5 and 0.99.
const LOW = "0af7651916cd43dd8440000000000001";
const MIDDLE = "0af7651916cd43dd8448000000000000";
const HIGH = "0af7651916cd43dd844fd70a3d70a3d7";

const samplerCases: [TraceSamplerName, number, string, boolean | undefined, boolean | "all"][] = [
  ["always_on", 1, HIGH, false, "all"],
  ["parentbased_always_on", 1, HIGH, false, "all"],
  ["always_off", 1, LOW, true, false],
  ["traceidratio", 0.5, LOW, false, true],
  ["traceidratio", 0.5, HIGH, true, false],
  ["traceidratio", 0, LOW, undefined, false],
  ["traceidratio", 1, HIGH, undefined, true],
  ["parentbased_traceidratio", 0.5, MIDDLE, undefined, false],
  ["parentbased_traceidratio", 0.5, LOW, undefined, true],
  ["parentbased_traceidratio", 0, LOW, true, true],
  ["parentbased_traceidratio", 1, LOW, false, false],
  ["parentbased_always_off", 1, LOW, undefined, false],
  ["parentbased_always_off", 1, LOW, true, true],
];
for (const [name, ratio, traceId, parent, expected] of samplerCases) {
  Deno.test(`trace sampler ${name} (${ratio}) ${expected === true ? "keeps" : expected ? "does not filter" : "drops"} trace ${traceId.slice(-4)} with parent sampled ${parent}`, () => {
    const sampler = createTraceSampler(name, ratio);
    if (expected === "all") assert.equal(sampler, undefined);
    else assert.equal(sampler?.(traceId, parent), expected);
  });
}
