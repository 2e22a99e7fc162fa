/**
 * An OTLP/HTTP receiver for the bench scripts: accepts every export, counts
 * trace export requests and bytes, and keeps nothing.
 *
 * @module
 */

/** A running sink, from {@linkcode startOtlpSink}. */
export interface OtlpSink extends AsyncDisposable {
  /** Its base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  /** Trace export requests (`/v1/traces`) so far, and bytes received on any path. */
  figures(): { requests: number; bytes: number };
}

/**
 * Starts the sink on 127.0.0.1 and a free port.
 *
 * @returns the sink; `await using` it
 *
 * @example
 * ```ts
 * await using sink = startOtlpSink();
 * // ... a server exporting to sink.endpoint ...
 * console.log(sink.figures().requests);
 * ```
 */
export function startOtlpSink(): OtlpSink {
  let requests = 0;
  let bytes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bytes += (await request.arrayBuffer()).byteLength;
    if (new URL(request.url).pathname === "/v1/traces") requests++;
    return new Response(null, { status: 200 });
  });
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    figures: () => ({ requests, bytes }),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
