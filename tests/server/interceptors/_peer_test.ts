/**
 * peerOf: the peer an interceptor reads, cached per HTTP/2 session, agrees
 * with grpc-js's own getPeer() on a real TLS server, whichever layer of the
 * chain asks, and two connections keep their own addresses.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { createServerCredentials } from "../../../lib/server/credentials.ts";
import { peerOf } from "../../../lib/server/interceptors/_peer.ts";
import { type GreeterHandlers, loadGreeterProto } from "../../../lib/shared/proto.ts";
import { unary } from "../../_helpers/calls.ts";
import { testPki } from "../../_helpers/pki.ts";
import { createTestClient } from "../../_helpers/test_server.ts";

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
  const pki = await testPki();
  const server = new grpc.Server({ interceptors: [recorder("outer"), recorder("inner")] });
  server.addService(loadGreeterProto().helloworld.Greeter.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      createServerCredentials({ cert: pki.serverCert, key: pki.serverKey }),
      (error, bound) => error ? reject(error) : resolve(bound),
    )
  );
  // Two clients with different options do not share a connection.
  using first = createTestClient(port, pki.caCert);
  using second = createTestClient(port, pki.caCert, { "grpc.primary_user_agent": "second" });
  try {
    for (const client of [first, first, second, second]) {
      const result = await unary(client, { name: "a" });
      assert.equal(result.code, grpc.status.OK, result.details);
    }
  } finally {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
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
