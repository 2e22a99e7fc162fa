/**
 * What one call costs in each observability stage of the interceptor chain,
 * in isolation: a unary call (metadata, one message each way, status) driven
 * through grpc-js's `ServerInterceptingCall` over an in-memory call, with no
 * stage, with the metrics stage, with the tracing stage (when Deno's
 * OpenTelemetry is on), and with the call-logging stage for scale. The
 * difference to "no stage" is the stage's own CPU per call, to set against
 * the 130–200 µs of server CPU a whole TLS + JWT call takes
 * (`deno task bench:observability`).
 *
 * Two more groups drive a server-streaming call of 100 replies and a
 * client-streaming call of 100 requests through no stage and through the
 * server's whole chain (`createInterceptorChain`: metrics, call logging, JWT
 * auth with the token in its cache, tracing off): what the chain adds per
 * streamed message, against the 5–8 µs of server CPU a message takes over TLS
 * (`deno task bench:runtimes --pattern server-stream --messages 100`).
 *
 *   deno task bench:stages                         # tracing off: no tracing stage at all
 *   OTEL_DENO=true OTEL_DENO_CONSOLE=ignore deno task bench:stages
 *                                                  # tracing on, exporting to a sink on :4318
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { createServerMetrics } from "../lib/server/metrics.ts";
import { createMetricsInterceptor } from "../lib/server/interceptors/metrics.ts";
import { createTracingInterceptor } from "../lib/server/interceptors/tracing.ts";
import { createLoggingInterceptor } from "../lib/server/interceptors/logging.ts";
import { greeterLogger, setupLogging } from "../lib/shared/log.ts";
import { greeterTracer, tracingEnabled } from "../lib/shared/tracing.ts";
import { loadGreeterProto } from "../lib/shared/proto.ts";
import { createInterceptorChain } from "../lib/server/interceptors/interceptor_chain.ts";
import {
  BENCH_AUDIENCE,
  BENCH_ISSUER,
  benchTokenProvider,
} from "../lib/bench/bench_token_provider.ts";

type AnyMethod = grpc.ServerMethodDefinition<unknown, unknown>;
const greeter = loadGreeterProto().helloworld.Greeter.service;
const method = greeter.SayHello as AnyMethod;

/** What grpc-js hands the innermost call: events up from the network. */
interface CallListener {
  onReceiveMetadata(metadata: grpc.Metadata): void;
  onReceiveMessage(message: unknown): void;
  onReceiveHalfClose(): void;
  onCancel(): void;
}

/** An in-memory call: records what the interceptors pass down, feeds a unary request up. */
class MemoryCall implements grpc.ServerInterceptingCallInterface {
  listener: CallListener | undefined;
  start(listener: CallListener) {
    this.listener = listener;
  }
  sendMetadata() {}
  sendMessage(_message: unknown, callback: () => void) {
    callback();
  }
  sendStatus() {}
  startRead() {}
  getPeer() {
    return "127.0.0.1:50000";
  }
  getDeadline() {
    return Infinity;
  }
  getHost() {
    return "localhost";
  }
  getAuthContext() {
    return {};
  }
  getConnectionInfo() {
    return {
      localAddress: "127.0.0.1",
      localPort: 50051,
      remoteAddress: "127.0.0.1",
      remotePort: 50000,
    };
  }
  getMetricsRecorder() {
    return {} as ReturnType<grpc.ServerInterceptingCallInterface["getMetricsRecorder"]>;
  }
}

const reply = { message: "Hello, bench!" };
const request = { name: "bench" };

/**
 * One call through `interceptors` (first nearest the network, wrapped as grpc-js
 * wraps them), start to status: `requests`
 * messages in, then `replies` out. `authorization` is sent as the bearer token.
 */
function oneCall(
  interceptors: grpc.ServerInterceptor[],
  { path = method, requests = 1, replies = 1, authorization = "" } = {},
): void {
  const base = new MemoryCall();
  let call: grpc.ServerInterceptingCallInterface = base;
  // grpc-js: interceptors.reduce((call, interceptor) => interceptor(method, call), base).
  for (const interceptor of interceptors) call = interceptor(path, call);
  call.start({
    onReceiveMetadata() {},
    onReceiveMessage() {},
    onReceiveHalfClose() {},
    onCancel() {},
  });
  const metadata = new grpc.Metadata();
  metadata.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  if (authorization !== "") metadata.set("authorization", authorization);
  base.listener!.onReceiveMetadata(metadata);
  for (let i = 0; i < requests; i++) base.listener!.onReceiveMessage(request);
  base.listener!.onReceiveHalfClose();
  call.sendMetadata(new grpc.Metadata());
  for (let i = 0; i < replies; i++) call.sendMessage(reply, () => {});
  call.sendStatus({ code: grpc.status.OK, details: "OK" });
}

// Logging goes to /dev/null through the project's sink, as in the server benches.
const devNull = await Deno.open("/dev/null", { write: true });
await setupLogging({ level: "info", stream: devNull.writable });

if (tracingEnabled()) {
  // Deno exports to http://localhost:4318 by default; accept and drop.
  try {
    Deno.serve({ hostname: "127.0.0.1", port: 4318, onListen() {} }, async (r) => {
      await r.arrayBuffer();
      return new Response(null);
    });
  } catch {
    console.error("port 4318 is taken: exports go to whatever listens there");
  }
}

const metrics = createServerMetrics();
const stages: [string, grpc.ServerInterceptor[]][] = [
  ["no stage", []],
  ["metrics", [createMetricsInterceptor({ metrics })]],
  ["call logging (reference)", [createLoggingInterceptor({ logger: greeterLogger("bench") })]],
];
if (tracingEnabled()) {
  const tracing = createTracingInterceptor({ tracer: greeterTracer() });
  stages.push(["tracing (Deno OpenTelemetry on)", [tracing]]);
  stages.push(["metrics + tracing", [createMetricsInterceptor({ metrics }), tracing]]);
}

for (const [name, interceptors] of stages) {
  Deno.bench({ name, group: "one unary call", baseline: interceptors.length === 0 }, () => {
    oneCall(interceptors);
  });
}

// The server's whole chain, tracing off; the token is verified once here, so
// every benched call finds it in the verifier's cache, as a busy server does.
const secret = `bench-secret-${crypto.randomUUID()}`;
const authorization = `Bearer ${await benchTokenProvider(secret).getToken()}`;
const chain = createInterceptorChain({
  metrics: createServerMetrics(),
  logging: { logger: greeterLogger("bench") },
  tracing: false,
  auth: {
    secret: new TextEncoder().encode(secret),
    issuer: BENCH_ISSUER,
    audience: BENCH_AUDIENCE,
  },
});
oneCall(chain, { authorization });
await new Promise((resolve) => setTimeout(resolve, 50));

const streams: [string, { path: AnyMethod; requests: number; replies: number }][] = [
  ["server stream, 100 replies", {
    path: greeter.SayHelloStream as AnyMethod,
    requests: 1,
    replies: 100,
  }],
  ["client stream, 100 requests", {
    path: greeter.SayHelloClientStream as AnyMethod,
    requests: 100,
    replies: 1,
  }],
  ["unary", { path: method, requests: 1, replies: 1 }],
];
for (const [group, shape] of streams) {
  Deno.bench({ name: `${group}: no stage`, group, baseline: true }, () => {
    oneCall([], shape);
  });
  Deno.bench({ name: `${group}: metrics, logging, auth`, group }, () => {
    oneCall(chain, { ...shape, authorization });
  });
}
