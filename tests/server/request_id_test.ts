import assert from "node:assert/strict";
import { MAX_REQUEST_ID_LENGTH, requestIdFrom } from "../../lib/server/request_id.ts";

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
