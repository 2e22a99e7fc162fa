/**
 * peerOf: the peer an interceptor reads, cached per HTTP/2 session, agrees
 * with grpc-js's own getPeer() on a real TLS server, whichever layer of the
 * chain asks, and two connections keep their own addresses.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { peerOf } from "../../../lib/server/interceptors/_peer.ts";
import type { GreeterHandlers } from "../../../lib/shared/proto.ts";
import { unary } from "../../_helpers/calls.ts";
import { createTestClient, startPlainServer } from "../../_helpers/test_server.ts";

const handlers: GreeterHandlers = {
  SayHello(call, callback) {
    callback(null, { message: call.request.name ?? "" });
  },
  SayHelloStream(call) {
    call.end();
  },
  SayHelloClientStream(_call, callback) {
    callback(null, { message: "" });
  },
  SayHelloBidirectional(call) {
    call.end();
  },
};

Deno.test("peerOf gives what getPeer gives, for the outermost and an inner interceptor, per connection", async () => {
  const seen: { layer: string; cached: string; direct: string }[] = [];
  const recorder = (layer: string): grpc.ServerInterceptor => (_method, call) => {
    seen.push({ layer, cached: peerOf(call), direct: call.getPeer() });
    return new grpc.ServerInterceptingCall(call);
  };
  await using server = await startPlainServer([recorder("outer"), recorder("inner")], handlers);
  // Two clients with different options do not share a connection.
  using second = createTestClient(server.port, server.caCert, {
    "grpc.primary_user_agent": "second",
  });
  for (const client of [server.client, server.client, second, second]) {
    const result = await unary(client, { name: "a" });
    assert.equal(result.code, grpc.status.OK, result.details);
  }
  assert.equal(seen.length, 8);
  for (const { layer, cached, direct } of seen) {
    assert.match(direct, /^127\.0\.0\.1:\d+$/, `${layer}: ${direct}`);
    assert.equal(cached, direct, `${layer} layer`);
  }
  const ports = new Set(seen.map(({ direct }) => direct));
  assert.equal(ports.size, 2, "each connection has its own peer port");
});

Deno.test("peerOf asks getPeer each time when the call exposes no HTTP/2 session", () => {
  let asked = 0;
  const call = { getPeer: () => `10.0.0.${++asked}:1` } as unknown as grpc.ServerInterceptingCall;
  assert.equal(peerOf(call), "10.0.0.1:1");
  assert.equal(peerOf(call), "10.0.0.2:1");
});
