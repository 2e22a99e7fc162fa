import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { handlerHttp2StreamOf, http2StreamOf } from "../../lib/server/_call_layers.ts";
import { composeCallStages } from "../../lib/server/interceptors/call_stage.ts";

const stream = { id: "the stream" };
const base = { stream };
const layered = (depth: number): object => {
  let layer: object = base;
  for (let i = 0; i < depth; i++) layer = { nextCall: layer };
  return layer;
};

const cases: [string, object | undefined, unknown][] = [
  ["finds the stream on grpc-js's base call itself", base, stream],
  ["finds it under three interceptor layers", layered(3), stream],
  ["gives nothing for a call without a stream (a test double)", { nextCall: {} }, undefined],
  ["gives nothing for no call", undefined, undefined],
  ["stops after sixteen layers rather than walk a loop", layered(20), undefined],
];
for (const [what, call, expected] of cases) {
  Deno.test(`http2StreamOf ${what}`, () => {
    assert.equal(http2StreamOf(call), expected);
  });
}

Deno.test("handlerHttp2StreamOf starts from the handler call's outermost layer", () => {
  assert.equal(handlerHttp2StreamOf({ call: layered(2) }), stream);
  assert.equal(handlerHttp2StreamOf({}), undefined);
});

Deno.test("http2StreamOf finds the stream under the call stages' layer", () => {
  const method = { path: "/helloworld.Greeter/SayHello" } as grpc.ServerMethodDefinition<
    unknown,
    unknown
  >;
  const staged = composeCallStages([["none", () => undefined]])(
    method,
    base as unknown as grpc.ServerInterceptingCallInterface,
  );
  assert.equal(http2StreamOf(staged), stream);
});
