import assert from "node:assert/strict";
import http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { freshResponseHeaders, withNeverIndexed } from "../../lib/server/never_indexed_metadata.ts";
import { REQUEST_ID_HEADER } from "../../lib/server/request_id.ts";
import { encodeHelloRequest, rawRequest } from "../_helpers/raw_request.ts";
import { startTestServer } from "../_helpers/test_server.ts";

/** The names a header object marks never-indexed (none: `[]`). */
function neverIndexed(headers: object | undefined): unknown {
  return (headers as Record<symbol, unknown> | undefined)?.[http2.sensitiveHeaders] ?? [];
}

function sourceWithEntries(): grpc.Metadata {
  const source = new grpc.Metadata();
  source.set("x-kept", "yes");
  source.set(REQUEST_ID_HEADER, "replaced");
  source.set("x-bytes-bin", Buffer.from([1, 2]));
  return source;
}

Deno.test("never-indexed metadata keeps the source's entries and replaces the key's value", () => {
  const source = sourceWithEntries();
  const metadata = withNeverIndexed(source, REQUEST_ID_HEADER, "id-1");
  assert.deepEqual(metadata.get("x-kept"), ["yes"]);
  assert.deepEqual(metadata.get(REQUEST_ID_HEADER), ["id-1"]);
  assert.deepEqual(metadata.get("x-bytes-bin"), [Buffer.from([1, 2])]);
  assert.deepEqual(source.get(REQUEST_ID_HEADER), ["replaced"], "the source is left as it was");
});

const headerObjects: [string, (metadata: grpc.Metadata) => grpc.Metadata][] = [
  ["as built", (metadata) => metadata],
  ["after grpc-js clones it (as it does the trailers)", (metadata) => metadata.clone()],
  ["after a clone of a clone", (metadata) => metadata.clone().clone()],
];
for (const [when, transform] of headerObjects) {
  Deno.test(`never-indexed metadata marks only its key for HTTP/2, ${when}`, () => {
    const metadata = transform(withNeverIndexed(sourceWithEntries(), REQUEST_ID_HEADER, "id-2"));
    const headers = metadata.toHttp2Headers();
    assert.deepEqual(neverIndexed(headers), [REQUEST_ID_HEADER]);
    assert.equal(headers[REQUEST_ID_HEADER], "id-2");
    assert.equal(headers["x-kept"], "yes");
  });
}

Deno.test("never-indexed metadata starts empty when there is no source", () => {
  for (const source of [undefined, null]) {
    const headers = withNeverIndexed(source, REQUEST_ID_HEADER, "id-3").toHttp2Headers();
    assert.deepEqual(Object.keys(headers), [REQUEST_ID_HEADER]);
  }
});

Deno.test("fresh response headers take the key in place, and their copies are copied again", () => {
  const fresh = freshResponseHeaders();
  assert.deepEqual(neverIndexed(fresh.toHttp2Headers()), [], "nothing marked before a key is set");
  const headers = withNeverIndexed(fresh, REQUEST_ID_HEADER, "id-4");
  assert.ok(Object.is(headers, fresh), "the call's own headers are changed, not copied");
  assert.deepEqual(withNeverIndexed(headers, "x-other", "v"), headers, "a second key too");
  const wire = headers.toHttp2Headers();
  assert.deepEqual(neverIndexed(wire), [REQUEST_ID_HEADER, "x-other"]);
  assert.equal(wire[REQUEST_ID_HEADER], "id-4");
  const copy = headers.clone();
  const changed = withNeverIndexed(copy, REQUEST_ID_HEADER, "id-5");
  assert.ok(!Object.is(changed, copy), "a clone is not the call's own: it is copied");
  assert.deepEqual(copy.get(REQUEST_ID_HEADER), ["id-4"]);
  assert.deepEqual(neverIndexed(changed.toHttp2Headers()), [REQUEST_ID_HEADER, "x-other"]);
});

const onTheWire: [string, boolean, string][] = [
  ["in the headers and the trailers of a call that succeeds", true, "0"],
  ["in the trailers-only answer to a call without a token", false, "16"],
];
for (const [where, withToken, grpcStatus] of onTheWire) {
  Deno.test(`the server sends the request id never-indexed ${where}`, async () => {
    await using server = await startTestServer();
    const answer = await rawRequest(
      server.port,
      server.pki.caCert,
      "/helloworld.Greeter/SayHello",
      withToken ? { authorization: `Bearer ${await server.token()}` } : {},
      encodeHelloRequest({ name: "hpack", count: 0 }),
    );
    assert.equal(answer.grpcStatus, grpcStatus, JSON.stringify(answer));
    const blocks = withToken ? [answer.headers, answer.trailers] : [answer.headers];
    const ids = blocks.map((block) => block?.[REQUEST_ID_HEADER]);
    assert.match(String(ids[0]), /^[0-9a-f-]{36}$/);
    for (const [i, block] of blocks.entries()) {
      assert.equal(block?.[REQUEST_ID_HEADER], ids[0], `block ${i} carries the same id`);
      assert.deepEqual(neverIndexed(block), [REQUEST_ID_HEADER], `block ${i}`);
    }
  });
}
