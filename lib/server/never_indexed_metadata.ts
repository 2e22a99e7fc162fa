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
  constructor(readonly neverIndexed: readonly string[], options?: grpc.MetadataOptions) {
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
    (headers as Record<symbol, unknown>)[sensitiveHeaders] = this.neverIndexed;
    return headers;
  }
}

/**
 * A copy of `source` (or empty metadata) with `key` set to `value`, which goes
 * out as a never-indexed literal; everything else in `source` is sent as
 * before. For a response's headers or trailers (an interceptor's
 * `sendMetadata` or `sendStatus`).
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
  const metadata = new NeverIndexedMetadata([key], source?.getOptions() ?? undefined);
  if (source != null) metadata.merge(source);
  metadata.set(key, value);
  return metadata;
}
