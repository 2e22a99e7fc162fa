/**
 * Traces as an operator gets them: `main.ts` and `client.ts` run with Deno's
 * built-in OpenTelemetry (`OTEL_DENO=true`, OTLP over HTTP with JSON) and
 * export to a real OTLP/HTTP receiver this test runs. The test reads the
 * exported spans and checks their RPC attributes and parents, and that the
 * call's log line carries the same ids.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { loadGreeterProto } from "../../lib/shared/proto.ts";
import { spawnMain } from "../_helpers/spawn_main.ts";
import { bearer, signMainToken } from "../_helpers/tokens.ts";
import { runClient } from "../_helpers/run_client.ts";

const SECRET = "o".repeat(40);

/** One span as OTLP/JSON carries it, with its attributes as a plain object. */
interface ExportedSpan {
  service: string;
  scope: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  /** Each attribute's OTLP value as sent, such as `{ intValue: "0" }`. */
  values: Record<string, Record<string, unknown>>;
}

/** OTLP span kinds (`SPAN_KIND_SERVER`, `SPAN_KIND_CLIENT`). */
const SERVER = 2;
const CLIENT = 3;

/** A minimal OTLP/HTTP receiver: accepts JSON on /v1/traces, answers the rest with 200. */
function startReceiver() {
  const spans: ExportedSpan[] = [];
  const value = (v: Record<string, unknown>) =>
    v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const body = await request.text();
    if (new URL(request.url).pathname === "/v1/traces") {
      const document = JSON.parse(body);
      for (const resource of document.resourceSpans ?? []) {
        const service = resource.resource?.attributes?.find(
          (a: { key: string }) => a.key === "service.name",
        );
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              service: String(value(service?.value ?? {})),
              scope: scope.scope?.name,
              name: span.name,
              kind: span.kind,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? "",
              attributes: Object.fromEntries(
                (span.attributes ?? []).map((
                  a: { key: string; value: Record<string, unknown> },
                ) => [
                  a.key,
                  value(a.value),
                ]),
              ),
              values: Object.fromEntries(
                (span.attributes ?? []).map((
                  a: { key: string; value: Record<string, unknown> },
                ) => [a.key, a.value]),
              ),
            });
          }
        }
      }
    }
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  return {
    spans,
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    /** The first span matching `test`, waiting for exports up to `timeoutMs`. */
    async find(test: (span: ExportedSpan) => boolean, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const found = spans.find(test);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no such span; received: ${JSON.stringify(spans)}`);
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Environment turning on Deno's OpenTelemetry with OTLP/HTTP JSON to `endpoint`. */
function otelEnv(endpoint: string, service: string): Record<string, string> {
  return {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: service,
    // Export each batch soon rather than after the default 5 s.
    OTEL_BSP_SCHEDULE_DELAY: "100",
    // The test reads stderr; console output stays there rather than becoming OTLP logs.
    OTEL_DENO_CONSOLE: "ignore",
  };
}

Deno.test("server and client export one span per sampled call to an OTLP receiver, parented across the hop", async () => {
  await using receiver = startReceiver();
  await using server = await spawnMain({
    flags: ["--port", "0", "--admin", "off"],
    secret: SECRET,
    env: {
      ...otelEnv(receiver.endpoint, "greeter-server"),
      // No new trace is sampled; a caller's sampled flag is followed.
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0",
    },
  });
  const { port, dir } = server;
  const pki = server.pki!;

  // 1. A caller that sends its own traceparent; before it, calls the sampler
  // leaves out (the server samples no new trace, and follows the caller's
  // sampled flag).
  const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const callerSpan = "00f067aa0ba902b7";
  const unsampledTrace = "5bf92f3577b34da6a3ce929d0e0e4737";
  const { helloworld } = loadGreeterProto();
  const client = new helloworld.Greeter(
    `localhost:${port}`,
    grpc.credentials.createSsl(Buffer.from(pki.caCert)),
  );
  const token = await signMainToken(SECRET, "otlp-test");
  const sayHello = async (name: string, traceparent?: string) => {
    const metadata = bearer(token);
    if (traceparent !== undefined) metadata.set("traceparent", traceparent);
    await new Promise<void>((resolve, reject) =>
      client.SayHello({ name }, metadata, (error) => error ? reject(error) : resolve())
    );
  };
  await sayHello("unsampled-parent", `00-${unsampledTrace}-${callerSpan}-00`);
  await sayHello("no-parent");
  await sayHello("otel", `00-${callerTrace}-${callerSpan}-01`);
  client.close();

  // 2. The project's own client, traced itself, in another process.
  const basic = await runClient(
    ["basic", "--target", `localhost:${port}`, "--ca", `${dir}/ca.pem`, "--name", "traced-client"],
    { ...otelEnv(receiver.endpoint, "greeter-client"), GREETER_JWT_SECRET: SECRET },
  );
  assert.equal(basic.code, 0, basic.stderr);

  const first = await receiver.find((s) =>
    s.service === "greeter-server" && s.traceId === callerTrace && s.kind === SERVER
  );
  assert.equal(first.name, "helloworld.Greeter/SayHello");
  assert.equal(first.parentSpanId, callerSpan, "parented on the incoming traceparent");
  assert.equal(first.attributes["rpc.system"], "grpc");
  assert.equal(first.attributes["rpc.service"], "helloworld.Greeter");
  assert.equal(first.attributes["rpc.method"], "SayHello");
  // An integer, as the semantic conventions have it (OTLP/JSON writes int64 as a string).
  assert.deepEqual(first.values["rpc.grpc.status_code"], { intValue: "0" });
  assert.equal(first.attributes["network.peer.address"], "127.0.0.1");
  assert.equal(typeof first.attributes["network.peer.port"], "number");
  // One span per call: Deno's own span for the HTTP/2 request is the call's
  // span (scope "deno"), not a second one beside it.
  assert.equal(first.scope, "deno");
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(
    receiver.spans.filter((s) => s.service === "greeter-server" && s.traceId === callerTrace)
      .map((s) => s.name),
    ["helloworld.Greeter/SayHello"],
  );

  const line = await server.log.find((l) => l.traceId === callerTrace, 10_000);
  assert.equal(line.spanId, first.spanId);
  assert.match(String(line.message), new RegExp(`trace=${callerTrace} span=${first.spanId}`));

  const clientSpan = await receiver.find((s) =>
    s.service === "greeter-client" && s.scope === "greeter" && s.kind === CLIENT
  );
  assert.equal(clientSpan.name, "helloworld.Greeter/SayHello");
  assert.equal(clientSpan.attributes["rpc.system"], "grpc");
  const second = await receiver.find((s) =>
    s.service === "greeter-server" && s.kind === SERVER && s.traceId === clientSpan.traceId
  );
  assert.equal(second.name, "helloworld.Greeter/SayHello");
  // The server span's parent is the client span, or the client's Deno span
  // for the HTTP/2 request (scope "deno", named POST), itself the client span's child.
  const parent = await receiver.find((s) => s.spanId === second.parentSpanId);
  assert.ok(
    parent === clientSpan ||
      (parent.scope === "deno" && parent.service === "greeter-client" &&
        parent.parentSpanId === clientSpan.spanId),
    `the server span descends from the client span: ${JSON.stringify(receiver.spans)}`,
  );

  // The calls the sampler left out have trace ids in their log lines and no
  // span at the receiver (their spans would have been exported before the
  // ones above).
  const unsampled = await server.log.find((l) => l.traceId === unsampledTrace, 10_000);
  const unparented = server.log.logs.filter((l) =>
    l.method === "/helloworld.Greeter/SayHello" && typeof l.traceId === "string" &&
    l.traceId !== callerTrace && l.traceId !== unsampledTrace && l.traceId !== clientSpan.traceId
  );
  assert.equal(unparented.length, 1, JSON.stringify(server.log.logs));
  for (const traceId of [unsampled.traceId, unparented[0].traceId]) {
    assert.deepEqual(receiver.spans.filter((s) => s.traceId === traceId), []);
  }
});
