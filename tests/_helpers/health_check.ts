/**
 * A health check without a token, with hand-written protobuf coding, so the
 * test does not depend on the health package it is checking.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";

/** `grpc.health.v1.Health/Check` with hand-written protobuf coding (one string in, one enum out). */
const HEALTH_CHECK: grpc.MethodDefinition<string, string> = {
  path: "/grpc.health.v1.Health/Check",
  requestStream: false,
  responseStream: false,
  requestSerialize: (service: string) => {
    const bytes = new TextEncoder().encode(service);
    if (bytes.length === 0) return Buffer.alloc(0);
    if (bytes.length > 127) throw new Error("test helper: service name too long");
    return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
  },
  requestDeserialize: (bytes: Buffer) => bytes.toString(),
  responseSerialize: (status: string) => Buffer.from(status),
  responseDeserialize: (bytes: Buffer) => {
    // field 1, varint: 0x08 <status>; an absent field is UNKNOWN.
    const code = bytes.length >= 2 && bytes[0] === 0x08 ? bytes[1] : 0;
    return ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"][code] ?? String(code);
  },
  originalName: "check",
};

/** Asks the health service about `service` with no token; resolves to a status name or a call result. */
export function healthCheck(
  port: number,
  caCert: string,
  service: string,
): Promise<{ code: grpc.status; details: string; status?: string }> {
  const client = new grpc.Client(
    `localhost:${port}`,
    grpc.credentials.createSsl(Buffer.from(caCert)),
  );
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      HEALTH_CHECK.path,
      HEALTH_CHECK.requestSerialize,
      HEALTH_CHECK.responseDeserialize,
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (error, status) => {
        client.close();
        resolve(
          error
            ? { code: error.code, details: error.details }
            : { code: grpc.status.OK, details: "", status },
        );
      },
    );
  });
}
