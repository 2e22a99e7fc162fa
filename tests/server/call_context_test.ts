/**
 * Unit tests for `lib/server/call_context.ts`: one context per call's
 * metadata, kept out of everything that reads or sends the metadata.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { callContext, callContextOf } from "../../lib/server/call_context.ts";
import { REQUEST_ID_HEADER } from "../../lib/server/request_id.ts";

function metadataWith(entries: [string, string][]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of entries) metadata.set(key, value);
  return metadata;
}

Deno.test("call context is made once per metadata and shared by every reader", () => {
  const metadata = metadataWith([[REQUEST_ID_HEADER, "req-1"]]);
  const first = callContextOf(metadata);
  first.traceId = "0af7651916cd43dd8448eb211c80319c";
  assert.equal(callContextOf(metadata), first);
  assert.equal(callContext({ metadata }), first);
  assert.equal(callContext({ metadata }).traceId, "0af7651916cd43dd8448eb211c80319c");
});

Deno.test("call context of another call's metadata is another context", () => {
  const a = callContextOf(new grpc.Metadata());
  const b = callContextOf(new grpc.Metadata());
  assert.notEqual(a, b);
  assert.notEqual(a.requestId, b.requestId);
});

const ids: [string, [string, string][], (id: string) => boolean][] = [
  [
    "keeps a well-formed incoming request id",
    [[REQUEST_ID_HEADER, "mesh-42"]],
    (id) => id === "mesh-42",
  ],
  [
    "replaces a malformed incoming request id",
    [[REQUEST_ID_HEADER, "bad id"]],
    (id) => id !== "bad id" && id.length === 36,
  ],
  ["makes a request id when none came", [], (id) => id.length === 36],
];
for (const [name, entries, ok] of ids) {
  Deno.test(`call context ${name}`, () => {
    const { requestId } = callContextOf(metadataWith(entries));
    assert.ok(ok(requestId), requestId);
  });
}

Deno.test("call context never shows in the metadata's entries, copies or headers", () => {
  const metadata = metadataWith([["x-user", "alice"]]);
  callContextOf(metadata).spanId = "b7ad6b7169203331";
  assert.deepEqual(metadata.getMap(), { "x-user": "alice" });
  assert.deepEqual(Object.keys(metadata.toHttp2Headers()), ["x-user"]);
  assert.deepEqual(Object.keys(metadata), Object.keys(new grpc.Metadata()));
  assert.equal(JSON.stringify(metadata.toJSON()), JSON.stringify({ "x-user": ["alice"] }));
  const copy = metadata.clone();
  assert.notEqual(callContextOf(copy).spanId, "b7ad6b7169203331", "a clone shared the context");
});
