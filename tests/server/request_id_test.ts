import assert from "node:assert/strict";
import {
  MAX_REQUEST_ID_LENGTH,
  REQUEST_ID_HEADER,
  requestIdFrom,
} from "../../lib/server/request_id.ts";
import { callKind } from "../_helpers/calls.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const kept: [string, string][] = [
  ["a UUID from a mesh", "3f0c9a7e-8d4b-4c1e-9a2f-1b2c3d4e5f60"],
  ["nginx's 32 hex digits", "0af7651916cd43dd8448eb211c80319c"],
  ["an id with dots, colons, slashes and base64 padding", "svc.a:42/x+y=="],
  ["an id of the longest allowed length", "a".repeat(MAX_REQUEST_ID_LENGTH)],
];
for (const [what, id] of kept) {
  Deno.test(`request id keeps ${what}`, () => {
    assert.equal(requestIdFrom(id), id);
  });
}

const replaced: [string, unknown][] = [
  ["no id at all", undefined],
  ["an empty id", ""],
  ["an id one character too long", "a".repeat(MAX_REQUEST_ID_LENGTH + 1)],
  ["an id with a space", "abc def"],
  ["an id with a line break that could forge a log line", "abc\nlevel=error"],
  ["an id with quotes", 'abc"def'],
  ["an id with non-ASCII letters", "abcé"],
  ["a binary metadata value", new Uint8Array([1, 2, 3])],
];
for (const [what, id] of replaced) {
  Deno.test(`request id replaces ${what} with a new UUID`, () => {
    const result = requestIdFrom(id);
    assert.match(result, UUID);
    assert.notEqual(requestIdFrom(id), result, "each replacement is new");
  });
}

const onTheWire: [string, string | undefined, boolean][] = [
  ["keeps a well-formed incoming id", "proxy-3f0c9a7e.42", true],
  ["replaces an id with a space", "bad id", false],
  ["makes an id when the caller sends none", undefined, false],
];
for (const [what, incoming, kept] of onTheWire) {
  Deno.test(`server ${what} and returns it in headers and trailers`, async () => {
    await using server = await startTestServer();
    using client = server.client();
    const metadata = bearer(await server.token());
    if (incoming !== undefined) metadata.set(REQUEST_ID_HEADER, incoming);
    const result = await callKind(client, "unary", ["a"], { metadata });
    const sent = result.trailers?.get(REQUEST_ID_HEADER)[0];
    assert.equal(result.headers?.get(REQUEST_ID_HEADER)[0], sent);
    if (kept) assert.equal(sent, incoming);
    else assert.match(String(sent), UUID);
  });
}
