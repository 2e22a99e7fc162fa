import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { createServerMetrics, grpcTypeOf } from "../../lib/server/metrics.ts";
import { loadGreeterProto } from "../../lib/shared/proto.ts";

/** Sample lines of `text` whose name is `name`, as `labels -> value`. */
function samples(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match !== null && match[1] === name) found.set(match[2] ?? "", Number(match[3]));
  }
  return found;
}

const SAY_HELLO = {
  path: "/helloworld.Greeter/SayHello",
  requestStream: false,
  responseStream: false,
};
const UNARY = 'grpc_type="unary",grpc_service="helloworld.Greeter",grpc_method="SayHello"';

Deno.test("grpc_type names the four RPC kinds as go-grpc-prometheus does", () => {
  assert.deepEqual(
    [[false, false], [true, false], [false, true], [true, true]].map((
      [requestStream, responseStream],
    ) => grpcTypeOf({ requestStream, responseStream })),
    ["unary", "client_stream", "server_stream", "bidi_stream"],
  );
});

Deno.test("metrics render started, handled by code, messages and a cumulative histogram", async () => {
  const metrics = createServerMetrics({ processMetrics: false, buckets: [0.01, 0.1] });
  const series = metrics.forMethod(SAY_HELLO);
  for (const [code, seconds] of [[0, 0.005], [0, 0.05], [16, 5]] as const) {
    series.started++;
    series.inFlight++;
    series.messagesReceived++;
    if (code === 0) series.messagesSent++;
    series.finish(code, seconds);
  }
  series.started++;
  series.inFlight++;
  const text = await metrics.render();
  assert.equal(samples(text, "grpc_server_started_total").get(`{${UNARY}}`), 4);
  const handled = samples(text, "grpc_server_handled_total");
  assert.equal(handled.get(`{${UNARY},grpc_code="OK"}`), 2);
  assert.equal(handled.get(`{${UNARY},grpc_code="UNAUTHENTICATED"}`), 1);
  assert.equal(handled.get(`{${UNARY},grpc_code="INTERNAL"}`), 0, "every code is present");
  assert.equal(samples(text, "grpc_server_msg_received_total").get(`{${UNARY}}`), 3);
  assert.equal(samples(text, "grpc_server_msg_sent_total").get(`{${UNARY}}`), 2);
  const buckets = samples(text, "grpc_server_handling_seconds_bucket");
  assert.equal(buckets.get(`{${UNARY},le="0.01"}`), 1);
  assert.equal(buckets.get(`{${UNARY},le="0.1"}`), 2);
  assert.equal(buckets.get(`{${UNARY},le="+Inf"}`), 3);
  assert.equal(samples(text, "grpc_server_handling_seconds_count").get(`{${UNARY}}`), 3);
  assert.equal(samples(text, "grpc_server_handling_seconds_sum").get(`{${UNARY}}`), 5.055);
  assert.equal(samples(text, "greeter_calls_in_flight").get(`{${UNARY}}`), 1);
  assert.match(text, /# TYPE grpc_server_handling_seconds histogram/);
  assert.match(text, /# TYPE grpc_server_handled_total counter/);
});

Deno.test("metrics pre-register every method of a service as zeros", async () => {
  const metrics = createServerMetrics({ processMetrics: false });
  metrics.preRegister(loadGreeterProto().helloworld.Greeter.service);
  const started = samples(await metrics.render(), "grpc_server_started_total");
  assert.deepEqual([...started.values()], [0, 0, 0, 0]);
  assert.ok(started.has(
    '{grpc_type="bidi_stream",grpc_service="helloworld.Greeter",grpc_method="SayHelloBidirectional"}',
  ));
});

Deno.test("metrics read the server's gauges and counters from their sources at scrape time", async () => {
  const metrics = createServerMetrics({ processMetrics: false });
  let suppressed = 3;
  metrics.setSources({
    openConnections: () => 2,
    openStreams: () => 5,
    suppressedLogLines: () => suppressed,
    ready: () => false,
  });
  metrics.recordAuthFailure("expired");
  metrics.recordAuthFailure("expired");
  metrics.recordAuthFailure("signature");
  let text = await metrics.render();
  assert.equal(samples(text, "greeter_open_connections").get(""), 2);
  assert.equal(samples(text, "greeter_open_streams").get(""), 5);
  assert.equal(samples(text, "greeter_log_lines_suppressed_total").get(""), 3);
  assert.equal(samples(text, "greeter_ready").get(""), 0);
  const auth = samples(text, "greeter_auth_failures_total");
  assert.equal(auth.get('{reason="expired"}'), 2);
  assert.equal(auth.get('{reason="signature"}'), 1);
  suppressed = 10;
  text = await metrics.render();
  assert.equal(samples(text, "greeter_log_lines_suppressed_total").get(""), 10);
});

Deno.test("metrics include the process metrics unless told not to", async () => {
  const text = await createServerMetrics().render();
  assert.ok(samples(text, "process_cpu_seconds_total").has(""));
  assert.ok(samples(text, "process_resident_memory_bytes").has(""));
  const without = await createServerMetrics({ processMetrics: false }).render();
  assert.equal(samples(without, "process_cpu_seconds_total").size, 0);
});

Deno.test("metrics refuse histogram buckets that are not ascending", () => {
  assert.throws(() => createServerMetrics({ buckets: [1, 0.5] }), RangeError);
});

Deno.test("metrics count an unknown status code as UNKNOWN", () => {
  const metrics = createServerMetrics({ processMetrics: false });
  const series = metrics.forMethod(SAY_HELLO);
  series.inFlight++;
  series.finish(99, 0);
  assert.equal(series.handled[grpc.status.UNKNOWN], 1);
});

Deno.test("a worker's metrics label every series with its index, so workers can be summed", async () => {
  const metrics = createServerMetrics({ worker: 2 });
  const series = metrics.forMethod(SAY_HELLO);
  series.started++;
  series.inFlight++;
  series.finish(0, 0.001);
  metrics.recordAuthFailure("expired");
  const text = await metrics.render();
  const sampleLines = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
  assert.ok(sampleLines.length > 20);
  for (const line of sampleLines) assert.match(line, /[{,]worker="2"[,}]/, line);
  assert.equal(
    samples(text, "grpc_server_started_total").get(`{${UNARY},worker="2"}`),
    1,
  );
  const single = await createServerMetrics({ processMetrics: false }).render();
  assert.doesNotMatch(single, /worker=/);
});
