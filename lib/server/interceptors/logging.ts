/**
 * Logging interceptor: one structured line per call, whatever its kind.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@logtape/logtape";
import { type CallContext, callContextOf } from "../call_context.ts";
import { REQUEST_ID_HEADER } from "../request_id.ts";
import { compileLogTemplate } from "../../shared/log_template.ts";

/** Live counters the interceptor keeps, read by the shutdown summary. */
export interface CallStats {
  /** Calls started and not yet ended. */
  active: number;
  /** Calls started since the server began. */
  total: number;
}

/** Options for {@linkcode createLoggingInterceptor}. */
export interface LoggingInterceptorOptions {
  /** Where call lines go. */
  logger: Logger;
  /** Counters to update; pass one to read them elsewhere. @default a private object */
  stats?: CallStats;
  /** Monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
}

/** Response header and trailer carrying the call's request id (re-exported from `request_id.ts`). */
export { REQUEST_ID_HEADER };

/** The fields of a call line, in the order the line shows them (`ended` is only a field). */
interface CallLineFields extends Record<string, unknown> {
  method: string;
  status: string;
  durationMs: number;
  peer: string;
  messagesIn: number;
  messagesOut: number;
  requestId: string;
  sub: string | undefined;
  ended: "status" | "transport";
  traceId: string | undefined;
  spanId: string | undefined;
  details?: string;
}

const CALL_LINE = "{method} {status} in {durationMs}ms peer={peer} in={messagesIn} " +
  "out={messagesOut} id={requestId} sub={sub}";
/**
 * Parsed once: the line is emitted on every call (see `lib/shared/log_template.ts`).
 * Failed calls also carry the status message sent to the caller ("token
 * expired", "name must not be empty or blank"): caller-safe by construction,
 * and the only way to tell rejections apart in the log.
 */
const OK_LINE = compileLogTemplate<CallLineFields>(CALL_LINE);
const FAILED_LINE = compileLogTemplate<CallLineFields>(`${CALL_LINE} details={details}`);
/** The same lines for traced calls: the trace and span id join the call to its span. */
const TRACED_CALL_LINE = `${CALL_LINE} trace={traceId} span={spanId}`;
const TRACED_OK_LINE = compileLogTemplate<CallLineFields>(TRACED_CALL_LINE);
const TRACED_FAILED_LINE = compileLogTemplate<CallLineFields>(
  `${TRACED_CALL_LINE} details={details}`,
);

const SERVER_FAULTS = new Set<grpc.status>([
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.DATA_LOSS,
  grpc.status.UNIMPLEMENTED,
]);

/**
 * Builds the logging interceptor. It logs method, peer, status, duration,
 * messages in and out, request id and `sub` (once the auth interceptor has
 * verified it). Metadata values are never logged, so neither is the token.
 *
 * Calls that end without a status passing through the interceptors (client
 * cancellation, server-side deadline, transport limits such as an oversized
 * message, all answered by grpc-js itself) are logged as `CANCELLED` with
 * `ended: "transport"`.
 */
export function createLoggingInterceptor(
  options: LoggingInterceptorOptions,
): grpc.ServerInterceptor {
  const { logger } = options;
  const stats = options.stats ?? { active: 0, total: 0 };
  const now = options.now ?? (() => performance.now());

  return (method, call) => {
    const started = now();
    // Read now: once the stream has closed (cancelled calls), grpc-js reports "unknown".
    const peer = call.getPeer();
    let messagesIn = 0;
    let messagesOut = 0;
    // Bound once the metadata arrives; the auth interceptor adds the claims to it later.
    let context: CallContext | undefined;
    let done = false;
    stats.active++;
    stats.total++;

    const requestId = () => context?.requestId ?? "-";
    const finish = (code: grpc.status, ended: "status" | "transport", details: string) => {
      if (done) return;
      done = true;
      stats.active--;
      const fields: CallLineFields = {
        method: method.path,
        peer,
        status: grpc.status[code],
        durationMs: Math.round((now() - started) * 1000) / 1000,
        messagesIn,
        messagesOut,
        requestId: requestId(),
        sub: context?.claims?.sub,
        ended,
        traceId: context?.traceId,
        spanId: context?.spanId,
      };
      const traced = fields.traceId !== undefined;
      if (code === grpc.status.OK) (traced ? TRACED_OK_LINE : OK_LINE).emit(logger, "info", fields);
      else {
        fields.details = details;
        (traced ? TRACED_FAILED_LINE : FAILED_LINE).emit(
          logger,
          SERVER_FAULTS.has(code) ? "error" : "warning",
          fields,
        );
      }
    };

    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(received, nextMetadata) {
            context = callContextOf(received);
            nextMetadata(received);
          },
          onReceiveMessage(message, nextMessage) {
            messagesIn++;
            nextMessage(message);
          },
          onCancel() {
            finish(grpc.status.CANCELLED, "transport", "ended before a status was sent");
          },
        });
      },
      sendMetadata(headers, next) {
        headers.set(REQUEST_ID_HEADER, requestId());
        next(headers);
      },
      sendMessage(message, next) {
        messagesOut++;
        next(message);
      },
      sendStatus(status, next) {
        finish(status.code, "status", status.details ?? "");
        const trailers = status.metadata ?? new grpc.Metadata();
        trailers.set(REQUEST_ID_HEADER, requestId());
        next({ ...status, metadata: trailers });
      },
    });
  };
}
