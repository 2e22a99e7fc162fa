import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { grpcMessage, h2Frame, hpackBlock, hpackInt } from "../../lib/bench/raw_http2.ts";
import { loadGreeterProto } from "../../lib/shared/proto.ts";

const integers = [
  {
    name: "hpackInt keeps a value below the prefix in one byte (RFC 7541 C.1.1)",
    n: 10,
    bits: 5,
    bytes: [10],
  },
  {
    name: "hpackInt continues a value past the prefix (RFC 7541 C.1.2)",
    n: 1337,
    bits: 5,
    bytes: [31, 154, 10],
  },
  {
    name: "hpackInt uses a whole byte as an 8-bit prefix (RFC 7541 C.1.3)",
    n: 42,
    bits: 8,
    bytes: [42],
  },
  {
    name: "hpackInt writes a zero continuation when the value equals the prefix",
    n: 127,
    bits: 7,
    bytes: [127, 0],
  },
];
for (const c of integers) {
  Deno.test(c.name, () => assert.deepEqual(hpackInt(c.n, c.bits), c.bytes));
}

Deno.test("hpackBlock writes each header as a literal without indexing, repeats kept", () => {
  const block = hpackBlock([["te", "trailers"], ["a", "1"], ["a", "2"]]);
  assert.deepEqual(
    [...block],
    [
      0,
      2,
      ...new TextEncoder().encode("te"),
      8,
      ...new TextEncoder().encode("trailers"),
      0,
      1,
      97,
      1,
      49,
      0,
      1,
      97,
      1,
      50,
    ],
  );
});

Deno.test("h2Frame lays out length, type, flags and stream before the payload", () => {
  const frame = h2Frame(0x1, 0x4, 3, new Uint8Array([7, 8]));
  assert.deepEqual([...frame], [0, 0, 2, 1, 4, 0, 0, 0, 3, 7, 8]);
  assert.deepEqual([...h2Frame(0x4, 0x1, 0, new Uint8Array())], [0, 0, 0, 4, 1, 0, 0, 0, 0]);
});

Deno.test("grpcMessage prefixes a message with the uncompressed flag and its length, as grpc-js reads it", async (t) => {
  const sayHello = loadGreeterProto().helloworld.Greeter.service.SayHello;
  for (const name of ["x", "control", "n".repeat(300)]) {
    await t.step(`{ name: "${name.slice(0, 10)}" } (${name.length} characters)`, () => {
      const message = sayHello.requestSerialize({ name });
      const framed = grpcMessage(message);
      assert.equal(framed[0], 0, "uncompressed");
      assert.equal(new DataView(framed.buffer).getUint32(1), message.length);
      assert.equal(sayHello.requestDeserialize(Buffer.from(framed.subarray(5))).name, name);
    });
  }
});
