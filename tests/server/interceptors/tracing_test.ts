/**
 * The tracing stage on a real Greeter server over TLS, with a recording
 * tracer: one server span per call, parented on the caller's `traceparent`,
 * with the RPC semantic-convention attributes, and its ids in the call's log
 * line. (tests/server/otlp_export_test.ts checks the same through Deno's own
 * exporter and a real OTLP receiver.)
 */
import * as grpc from "@grpc/grpc-js";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  trace,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";
import assert from "node:assert/strict";
import { createGreeterService } from "../../../lib/server/handlers/greeter.ts";
import { callKind } from "../../_helpers/calls.ts";
import { recordLogs } from "../../_helpers/record_logs.ts";
import { startTestServer } from "../../_helpers/test_server.ts";
import { bearer } from "../../_helpers/tokens.ts";
import type { RpcKind } from "../../../lib/shared/rpc_kinds.ts";

/** A finished span as the recording tracer keeps it. */
interface RecordedSpan {
  name: string;
  kind: SpanKind | undefined;
  attributes: Attributes;
  parent: SpanContext | undefined;
  context: SpanContext;
  status: SpanStatus | undefined;
  ended: boolean;
}

/** A tracer that records every span it starts. */
function recordingTracer(): Tracer & { spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  const hex = (bytes: number) =>
    Array.from(
      crypto.getRandomValues(new Uint8Array(bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");
  const startSpan = (name: string, options: SpanOptions = {}, context?: Context): Span => {
    const parent = context === undefined ? undefined : trace.getSpanContext(context);
    const record: RecordedSpan = {
      name,
      kind: options.kind,
      attributes: { ...options.attributes },
      parent,
      context: {
        traceId: parent?.traceId ?? hex(16),
        spanId: hex(8),
        traceFlags: TraceFlags.SAMPLED,
      },
      status: undefined,
      ended: false,
    };
    spans.push(record);
    const span: Span = {
      spanContext: () => record.context,
      setAttribute(key: string, value: AttributeValue) {
        record.attributes[key] = value;
        return span;
      },
      setAttributes(attributes: Attributes) {
        Object.assign(record.attributes, attributes);
        return span;
      },
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      setStatus(status: SpanStatus) {
        record.status = status;
        return span;
      },
      updateName(next: string) {
        record.name = next;
        return span;
      },
      end() {
        record.ended = true;
      },
      isRecording: () => !record.ended,
      recordException() {},
    };
    return span;
  };
  return {
    spans,
    startSpan,
    startActiveSpan: (() => {
      throw new Error("not used by the server");
    }) as Tracer["startActiveSpan"],
  };
}

const CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN = "b7ad6b7169203331";

const kinds: [RpcKind, string][] = [
  ["unary", "SayHello"],
  ["server-stream", "SayHelloStream"],
  ["client-stream", "SayHelloClientStream"],
  ["bidi", "SayHelloBidirectional"],
];
for (const [kind, method] of kinds) {
  Deno.test(`tracing gives a ${kind} call one server span under the caller's traceparent, ids in its log line`, async () => {
    const tracer = recordingTracer();
    await using logs = await recordLogs();
    await using server = await startTestServer({ tracing: { tracer } });
    using client = server.client();
    const metadata = bearer(await server.token());
    metadata.set("traceparent", `00-${CALLER_TRACE}-${CALLER_SPAN}-01`);
    assert.equal((await callKind(client, kind, ["a", "b"], { metadata })).code, grpc.status.OK);

    assert.equal(tracer.spans.length, 1);
    const [span] = tracer.spans;
    assert.equal(span.name, `helloworld.Greeter/${method}`);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.parent?.traceId, CALLER_TRACE);
    assert.equal(span.parent?.spanId, CALLER_SPAN);
    assert.equal(span.parent?.isRemote, true);
    assert.equal(span.context.traceId, CALLER_TRACE);
    assert.ok(span.ended);
    assert.deepEqual(
      { ...span.attributes, "network.peer.port": typeof span.attributes["network.peer.port"] },
      {
        "rpc.system": "grpc",
        "rpc.service": "helloworld.Greeter",
        "rpc.method": method,
        "rpc.grpc.status_code": 0,
        "network.peer.address": "127.0.0.1",
        "network.peer.port": "number",
      },
    );
    const line = logs.records.find((r) => r.properties.method === `/helloworld.Greeter/${method}`);
    assert.equal(line?.properties.traceId, CALLER_TRACE);
    assert.equal(line?.properties.spanId, span.context.spanId);
  });
}

Deno.test("tracing starts a new trace for a call without traceparent, and marks an INTERNAL status an error", async () => {
  const tracer = recordingTracer();
  await using server = await startTestServer({
    tracing: { tracer },
    service: {
      ...createGreeterService(),
      sayHello() {
        throw new Error("boom");
      },
    },
  });
  using client = server.client();
  const result = await callKind(client, "unary", ["a"], { metadata: bearer(await server.token()) });
  assert.equal(result.code, grpc.status.INTERNAL);
  const [span] = tracer.spans;
  assert.equal(span.parent, undefined);
  assert.match(span.context.traceId, /^[0-9a-f]{32}$/);
  assert.equal(span.attributes["rpc.grpc.status_code"], grpc.status.INTERNAL);
  assert.equal(span.status?.code, 2 /* SpanStatusCode.ERROR */);
});

Deno.test("tracing traces a refused call without marking the caller's mistake a server error", async () => {
  const tracer = recordingTracer();
  await using server = await startTestServer({ tracing: { tracer } });
  using client = server.client();
  const result = await callKind(client, "unary", ["a"], {
    metadata: bearer(await server.token("expired")),
  });
  assert.equal(result.code, grpc.status.UNAUTHENTICATED);
  const [span] = tracer.spans;
  assert.equal(span.attributes["rpc.grpc.status_code"], grpc.status.UNAUTHENTICATED);
  assert.equal(span.status, undefined);
});

Deno.test("tracing off leaves no trace ids in the log line", async () => {
  await using logs = await recordLogs();
  await using server = await startTestServer({ tracing: false });
  using client = server.client();
  const metadata = bearer(await server.token());
  metadata.set("traceparent", `00-${CALLER_TRACE}-${CALLER_SPAN}-01`);
  await callKind(client, "unary", ["a"], { metadata });
  const line = logs.records.find((r) => r.properties.method === "/helloworld.Greeter/SayHello");
  assert.ok(line);
  assert.equal(line.properties.traceId, undefined);
  assert.doesNotMatch(String(line.rawMessage), /trace=/);
});

Deno.test("tracing leaves a call the sampler drops unended (never exported), its ids still in the log line", async () => {
  const tracer = recordingTracer();
  await using logs = await recordLogs();
  const asked: [string, boolean | undefined][] = [];
  await using server = await startTestServer({
    tracing: {
      tracer,
      sampler: (traceId, parentSampled) => {
        asked.push([traceId, parentSampled]);
        return parentSampled === true;
      },
    },
  });
  using client = server.client();
  const parents = [`00-${CALLER_TRACE}-${CALLER_SPAN}-00`, `00-${CALLER_TRACE}-${CALLER_SPAN}-01`];
  for (const traceparent of parents) {
    const metadata = bearer(await server.token());
    metadata.set("traceparent", traceparent);
    assert.equal((await callKind(client, "unary", ["a"], { metadata })).code, grpc.status.OK);
  }
  assert.deepEqual(asked, [[CALLER_TRACE, false], [CALLER_TRACE, true]]);
  assert.deepEqual(tracer.spans.map((span) => span.ended), [false, true]);
  const lines = logs.records.filter((r) => r.properties.method === "/helloworld.Greeter/SayHello");
  assert.deepEqual(
    lines.map((line) => line.properties.spanId),
    tracer.spans.map((span) => span.context.spanId),
  );
});
