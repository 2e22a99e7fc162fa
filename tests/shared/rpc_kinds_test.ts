import assert from "node:assert/strict";
import { loadGreeterProto } from "../../lib/shared/proto.ts";
import {
  isRpcKind,
  parseRpcKind,
  RPC_KIND_INFO,
  RPC_KINDS,
  STREAMING_RPC_KINDS,
} from "../../lib/shared/rpc_kinds.ts";

// Written out: these ids are user-visible (bench --pattern values, scenario
// names, report headings), so a rename must fail here first.
const EXPECTED = [
  { kind: "unary", label: "unary", method: "SayHello" },
  { kind: "server-stream", label: "server stream", method: "SayHelloStream" },
  { kind: "client-stream", label: "client stream", method: "SayHelloClientStream" },
  { kind: "bidi", label: "bidi", method: "SayHelloBidirectional" },
];

Deno.test("rpc kinds keep their ids, labels and methods, in contract order", () => {
  assert.deepEqual(
    RPC_KINDS.map((kind) => {
      const { label, method } = RPC_KIND_INFO[kind];
      return { kind, label, method };
    }),
    EXPECTED,
  );
  assert.deepEqual(STREAMING_RPC_KINDS, ["server-stream", "client-stream", "bidi"]);
});

Deno.test("each rpc kind's path and stream directions match the proto's service definition", () => {
  const service = loadGreeterProto().helloworld.Greeter.service;
  for (const kind of RPC_KINDS) {
    const info = RPC_KIND_INFO[kind];
    const definition = service[info.method];
    assert.ok(definition, `${info.method} is not in the proto`);
    assert.equal(info.path, definition.path, kind);
    assert.equal(info.requestStream, definition.requestStream, `${kind} request side`);
    assert.equal(info.responseStream, definition.responseStream, `${kind} response side`);
    assert.equal(info.kind, kind);
  }
  assert.equal(Object.keys(service).length, RPC_KINDS.length, "a method has no kind");
});

Deno.test("parseRpcKind reads an id or a label and refuses anything else", () => {
  assert.equal(parseRpcKind("server-stream"), "server-stream");
  assert.equal(parseRpcKind("server stream"), "server-stream");
  assert.equal(parseRpcKind("client stream"), "client-stream");
  assert.equal(parseRpcKind("bidi"), "bidi");
  for (const bad of ["", "stream", "Unary", "SayHello", "toString", "server_stream"]) {
    assert.equal(parseRpcKind(bad), undefined, JSON.stringify(bad));
    assert.equal(isRpcKind(bad), false, JSON.stringify(bad));
  }
});
