/**
 * Response metadata with a value sent as an HPACK never-indexed literal.
 *
 * HTTP/2 compresses header fields against a table that both ends keep
 * (HPACK). A value that is new on every call, such as the request id the
 * server sends back, gains nothing from that table: indexing it makes the
 * encoder insert it and the peer's decoder insert it too, and each insertion
 * pushes out entries that do repeat. Sent as a never-indexed literal, it is
 * encoded once and stored by nobody (RFC 7541, section 7.1.3). Profiled on
 * Deno 2.9.3 with the unary bench, the indexed request id made the server's
 * HTTP/2 frame encoding cost about 1.6 µs more per call (see BENCHMARKS.md).
 *
 * grpc-js has no switch for this. It turns metadata into an HTTP/2 header
 * object with `toHttp2Headers()` and hands that object to `respond()` or
 * `sendTrailers()`, where `http2.sensitiveHeaders` (Node.js and Deno alike)
 * lists the fields never to index. The class below adds that list, and keeps
 * its class when grpc-js clones it (it clones the trailers before sending).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { sensitiveHeaders } from "node:http2";

/** Metadata that sends `neverIndexed` as never-indexed literals. */
class NeverIndexedMetadata extends grpc.Metadata {
  constructor(
    public neverIndexed: readonly string[],
    options?: grpc.MetadataOptions,
    /** Made by {@linkcode freshResponseHeaders}: the call's own, changed in place. */
    readonly fresh = false,
  ) {
    super(options);
  }

  /** A copy, as grpc-js's (values copied, buffers too), that keeps the class. */
  override clone(): NeverIndexedMetadata {
    const copy = new NeverIndexedMetadata(this.neverIndexed, this.getOptions());
    for (const [key, values] of this.internalRepr) {
      copy.internalRepr.set(key, values.map((v) => Buffer.isBuffer(v) ? Buffer.from(v) : v));
    }
    return copy;
  }

  /** grpc-js's header object, plus the list Node's and Deno's HTTP/2 read. */
  override toHttp2Headers(): ReturnType<grpc.Metadata["toHttp2Headers"]> {
    const headers = super.toHttp2Headers();
    if (this.neverIndexed.length > 0) {
      (headers as Record<symbol, unknown>)[sensitiveHeaders] = this.neverIndexed;
    }
    return headers;
  }
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Empty response headers for a call that sends a message before any headers
 * (grpc-js's unary and streaming handlers do): metadata like grpc-js's own,
 * which {@linkcode withNeverIndexed} then changes in place instead of copying,
 * since nothing else holds it.
 *
 * @returns empty headers that belong to the call
 */
export function freshResponseHeaders(): grpc.Metadata {
  return new NeverIndexedMetadata(NONE, undefined, true);
}

/** One frozen list per key, shared by every call (a server sends one or two keys this way). */
const LISTS = new Map<string, readonly string[]>();
const MAX_LISTS = 64;

function neverIndexedList(key: string): readonly string[] {
  let list = LISTS.get(key);
  if (list === undefined) {
    list = Object.freeze([key]);
    if (LISTS.size < MAX_LISTS) LISTS.set(key, list);
  }
  return list;
}

/** `list` with `key` at the end, unless it is there already. */
function withKey(list: readonly string[], key: string): readonly string[] {
  if (list.includes(key)) return list;
  return list.length === 0 ? neverIndexedList(key) : Object.freeze([...list, key]);
}

/**
 * A copy of `source` (or empty metadata) with `key` set to `value`, which goes
 * out as a never-indexed literal; everything else in `source` is sent as
 * before (keys it already sent never-indexed stay so). For a response's
 * headers or trailers (an interceptor's `sendMetadata` or `sendStatus`).
 * Headers from {@linkcode freshResponseHeaders} are not copied but changed
 * and returned.
 *
 * @param source the headers or trailers the call would send, if any
 * @param key the metadata key (lowercase, not `-bin`)
 * @param value its value for this call
 * @returns metadata to send instead of `source`
 *
 * @example Sending a per-call id back without filling the peer's HPACK table
 * ```ts
 * const trailers = withNeverIndexed(status.metadata, "x-request-id", id);
 * next({ ...status, metadata: trailers });
 * ```
 */
export function withNeverIndexed(
  source: grpc.Metadata | null | undefined,
  key: string,
  value: string,
): grpc.Metadata {
  // The source's own never-indexed keys stay never-indexed.
  const list = source instanceof NeverIndexedMetadata
    ? withKey(source.neverIndexed, key)
    : neverIndexedList(key);
  if (source instanceof NeverIndexedMetadata && source.fresh) {
    source.set(key, value);
    source.neverIndexed = list;
    return source;
  }
  const metadata = new NeverIndexedMetadata(list, source?.getOptions());
  if (source != null) metadata.merge(source);
  metadata.set(key, value);
  return metadata;
}
