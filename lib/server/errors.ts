/**
 * The one error boundary: expected failures carry a precise gRPC status and a
 * caller-safe message; anything else becomes `INTERNAL` with a generic message
 * and the request id, while the cause and stack go to the log under that id.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { Logger } from "@logtape/logtape";

/** An expected failure whose message is safe to send to the caller. */
export class GreeterError extends Error {
  /** The gRPC status code sent to the caller. */
  readonly code: status;
  /**
   * Builds an expected failure.
   * @param code gRPC status code
   * @param message caller-safe description
   */
  constructor(code: status, message: string) {
    super(message);
    this.name = "GreeterError";
    this.code = code;
  }
}

/** Shorthand for an `INVALID_ARGUMENT` failure naming the offending field. */
export function invalidArgument(message: string): GreeterError {
  return new GreeterError(status.INVALID_ARGUMENT, message);
}

/** Status and message to send for a failed call. */
export interface WireStatus {
  /** gRPC status code. */
  code: status;
  /** Caller-safe message. */
  details: string;
}

/**
 * Maps any thrown value to the status the caller sees. Unknown errors are
 * logged with their stack under `requestId` and answered generically.
 */
export function toWireStatus(error: unknown, requestId: string, logger: Logger): WireStatus {
  if (error instanceof GreeterError) return { code: error.code, details: error.message };
  logger.error("Unhandled error in handler (request {requestId}): {error}", {
    requestId,
    error,
  });
  return { code: status.INTERNAL, details: `internal error (request id ${requestId})` };
}
