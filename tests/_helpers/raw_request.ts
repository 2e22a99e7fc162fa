/**
 * One gRPC request as raw HTTP/2 (Node's `http2` client over TLS), so nothing
 * a gRPC client library does hides the server's answer: the HTTP status, the
 * grpc-status and message, and the header and trailer objects as received
 * (with `http2.sensitiveHeaders`, the fields that came never-indexed).
 *
 * @module
 */
import http2 from "node:http2";
import { Buffer } from "node:buffer";
import { loadGreeterProto } from "../../lib/shared/proto.ts";
import { grpcMessage } from "../../lib/bench/raw_http2.ts";

/** A `HelloRequest` as one length-prefixed gRPC message. */
export function encodeHelloRequest(request: { name: string; count: number }): Uint8Array {
  return grpcMessage(
    loadGreeterProto().helloworld.Greeter.service.SayHello.requestSerialize(request),
  );
}

/** What came back for a {@linkcode rawRequest}. */
export interface RawAnswer {
  /** HTTP status (0 when no response headers came). */
  status: number;
  /** `grpc-status`, from the trailers or a trailers-only response. */
  grpcStatus?: string;
  /** `grpc-message`, likewise. */
  grpcMessage?: string;
  /** The response headers as received. */
  headers?: http2.IncomingHttpHeaders;
  /** The trailers as received (absent on a trailers-only response). */
  trailers?: http2.IncomingHttpHeaders;
}

/**
 * One HTTP/2 request on its own TLS connection to `localhost:port`, trusting
 * `ca`; resolves with what came back (cancelled after 10 s).
 */
export function rawRequest(
  port: number,
  ca: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array | null,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://localhost:${port}`, { ca });
    session.on("error", reject);
    const request = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const answer: RawAnswer = { status: 0 };
    const timer = setTimeout(() => request.close(http2.constants.NGHTTP2_CANCEL), 10_000);
    request.on("response", (h) => {
      answer.headers = h;
      answer.status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) answer.grpcStatus = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) answer.grpcMessage = String(h["grpc-message"]);
    });
    request.on("trailers", (t) => {
      answer.trailers = t;
      answer.grpcStatus = String(t["grpc-status"]);
      answer.grpcMessage = t["grpc-message"] === undefined ? undefined : String(t["grpc-message"]);
    });
    request.on("data", () => {});
    request.on("error", () => {});
    request.on("close", () => {
      clearTimeout(timer);
      session.close(() => resolve(answer));
    });
    if (body !== null) request.end(Buffer.from(body));
    else request.end();
  });
}
