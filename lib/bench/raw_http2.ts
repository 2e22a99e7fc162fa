/**
 * Raw HTTP/2 frames and HPACK header blocks, for peers that must say what a
 * gRPC library would not (repeated headers, windows never read, floods): the
 * flood and unread-reply measurements and the tests of grpc-js's answers.
 *
 * @module
 */

/**
 * An HPACK integer with a `prefixBits`-bit prefix (RFC 7541, 5.1), as bytes.
 *
 * @param n the value
 * @param prefixBits bits of the first byte the integer may use (1-8)
 * @returns the encoded bytes, the first without the prefix's other bits
 *
 * @example
 * ```ts
 * hpackInt(10, 5); // [10]
 * hpackInt(1337, 5); // [31, 154, 10]
 * ```
 */
export function hpackInt(n: number, prefixBits: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (n < max) return [n];
  const out = [max];
  for (n -= max; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) + 128);
  out.push(n);
  return out;
}

/**
 * A header block of literals without indexing (no Huffman coding), so any
 * header may repeat and none is remembered by the peer's table.
 *
 * @param headers name and value pairs, in order
 * @returns the HPACK header block
 *
 * @example
 * ```ts
 * const block = hpackBlock([[":method", "POST"], ["te", "trailers"]]);
 * ```
 */
export function hpackBlock(headers: readonly (readonly [string, string])[]): Uint8Array {
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  for (const [name, value] of headers) {
    const n = encoder.encode(name);
    const v = encoder.encode(value);
    bytes.push(0x00, ...hpackInt(n.length, 7), ...n, ...hpackInt(v.length, 7), ...v);
  }
  return new Uint8Array(bytes);
}

/**
 * One HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload.
 *
 * @param type frame type (0 DATA, 1 HEADERS, 4 SETTINGS, 8 WINDOW_UPDATE, ...)
 * @param flags frame flags (1 END_STREAM or ACK, 4 END_HEADERS, ...)
 * @param stream stream id, 0 for the connection
 * @param payload the frame's payload
 * @returns the frame's bytes
 *
 * @example
 * ```ts
 * const settingsAck = h2Frame(0x4, 0x1, 0, new Uint8Array());
 * ```
 */
export function h2Frame(
  type: number,
  flags: number,
  stream: number,
  payload: Uint8Array,
): Uint8Array {
  const frame = new Uint8Array(9 + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length << 8 | type);
  frame[4] = flags;
  view.setUint32(5, stream & 0x7fffffff);
  frame.set(payload, 9);
  return frame;
}

/**
 * A gRPC length-prefixed message: the uncompressed flag, the length as four
 * big-endian bytes, then `message` (a serialized protobuf).
 *
 * @param message the serialized message
 * @returns the bytes of one gRPC message, ready for a DATA frame
 *
 * @example
 * ```ts
 * const body = grpcMessage(new Uint8Array([0x0a, 1, 0x78])); // { name: "x" }
 * ```
 */
export function grpcMessage(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.length);
  new DataView(framed.buffer).setUint32(1, message.length);
  framed.set(message, 5);
  return framed;
}
