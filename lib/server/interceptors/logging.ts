/**
 * Logging interceptor: one structured line per call, whatever its kind.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@logtape/logtape";
import { type CallContext, callContextOf } from "../call_context.ts";
import { REQUEST_ID_HEADER } from "../request_id.ts";
import { withNeverIndexed } from "../never_indexed_metadata.ts";
import { http2StreamOf } from "../_call_layers.ts";
import { compileLogTemplate, isLogged } from "../../shared/log_template.ts";
import { createLogLimiter, type LogLimiter } from "./log_limiter.ts";
import { peerOf } from "./_peer.ts";
import {
  type CallHooks,
  type CallStage,
  type CallStatus,
  composeCallStages,
} from "./call_stage.ts";

/** Live counters the interceptor keeps, read by the shutdown summary. */
export interface CallStats {
  /** Calls started and not yet ended. */
  active: number;
  /** Calls started since the server began. */
  total: number;
  /**
   * Call lines of failed calls left out by the log limiter so far (the
   * "log lines suppressed" metric). @default 0
   */
  suppressedLines?: number;
}

/** Options for {@linkcode createLoggingInterceptor}. */
export interface LoggingInterceptorOptions {
  /** Where call lines go. */
  logger: Logger;
  /** Counters to update; pass one to read them elsewhere. @default a private object */
  stats?: CallStats;
  /** Monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
  /**
   * Bounds the lines of failed calls (per status and reason); the server passes
   * its own to flush it at shutdown. @default a limiter with the default bounds,
   * writing its summaries to `logger`
   */
  limiter?: LogLimiter;
  /**
   * Send each call's request id back in the response headers and trailers
   * ({@linkcode REQUEST_ID_HEADER}). @default true
   */
  echoRequestId?: boolean;
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

/**
 * Statuses that mean the server itself failed, logged at error level when the
 * server's own code sent them. When grpc-js sent them on its own (a request
 * that cannot be decoded, a unary call without a message), a client caused
 * them, and any client could write error lines at will: those are warnings.
 */
const SERVER_FAULTS = new Set<grpc.status>([
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.DATA_LOSS,
]);

/** Health probes come every few seconds from every balancer: their lines are debug. */
const HEALTH_PREFIX = "/grpc.health.v1.Health/";

/** The summary line of failed-call lines the limiter left out. */
const SUPPRESSED_LINE = "... {count} more {status} call lines like this suppressed in the last " +
  "{intervalMs} ms (details={details})";

/**
 * Creates the limiter the interceptor uses when none is given: summaries go to `logger`.
 *
 * @example
 * ```ts
 * const limiter = createCallLogLimiter(greeterLogger("server", "call"));
 * ```
 */
export function createCallLogLimiter(logger: Logger): LogLimiter {
  return createLogLimiter({
    report: (summary) => logger.warn(SUPPRESSED_LINE, { ...summary }),
  });
}

/** A status already written to the wire, where the call's HTTP/2 stream shows it. */
interface SentStatus {
  code: grpc.status;
  details: string;
}

/**
 * The status grpc-js sent for `call` on its own, if it did: a deadline that
 * expired, a message over the limit, a body that cannot be decoded. grpc-js
 * answers those inside its base call, so the status never passes through an
 * interceptor's `sendStatus`; the HTTP/2 stream still shows what the client got
 * (`grpc-status` in the trailers, or in the headers of a trailers-only
 * response). Read only for failed and cancelled calls. The stream is found
 * as `_call_layers.ts` says; for a call without one this finds nothing and
 * the line says what it saw.
 */
function sentStatus(call: object): SentStatus | undefined {
  const stream = http2StreamOf(call);
  const sent: Headers | undefined = stream?.sentTrailers ?? stream?.sentHeaders;
  const code = sent?.["grpc-status"];
  if (code === undefined) return undefined;
  const message = sent!["grpc-message"];
  let details = "";
  try {
    details = typeof message === "string" ? decodeURIComponent(message) : "";
  } catch {
    details = String(message);
  }
  return { code: Number(code), details };
}
type Headers = Record<string, unknown>;

/**
 * Builds the logging interceptor. It logs method, peer, status, duration,
 * messages in and out, request id and `sub` (once the auth interceptor has
 * verified it). Metadata values are never logged, so neither is the token.
 *
 * Each line says what the client got. Calls grpc-js answered itself (a
 * deadline that expired, a message over the limit) are logged with that
 * status and `ended: "transport"`; calls that ended with no status at all
 * (the client cancelled or reset the stream) as `CANCELLED`.
 *
 * Levels: OK calls at info, health probes at debug, failures at warning, and
 * at error only server faults the server's own code reported. Lines of failed
 * calls are bounded per status and reason by the limiter (the first 10 per 10 s,
 * then one summary line); OK lines are never held back.
 */
export function createLoggingInterceptor(
  options: LoggingInterceptorOptions,
): grpc.ServerInterceptor {
  return composeCallStages([["logging", loggingStage(options)]]);
}

/**
 * The logging stage (see `call_stage.ts`): what {@linkcode createLoggingInterceptor}
 * does, for a chain of stages.
 *
 * @param options where lines go, the counters and the limiter
 * @returns the stage
 *
 * @example
 * ```ts
 * const stage = loggingStage({ logger: greeterLogger("server", "call") });
 * ```
 */
export function loggingStage(options: LoggingInterceptorOptions): CallStage {
  const shared: LoggingShared = {
    logger: options.logger,
    stats: options.stats ?? { active: 0, total: 0 },
    now: options.now ?? (() => performance.now()),
    limiter: options.limiter ?? createCallLogLimiter(options.logger),
    echo: options.echoRequestId ?? true,
  };
  return (method, call) => new LoggingHooks(shared, method.path, call);
}

/** What every call's logging hooks share: the stage's settings and counters. */
interface LoggingShared {
  readonly logger: Logger;
  readonly stats: CallStats;
  readonly now: () => number;
  readonly limiter: LogLimiter;
  readonly echo: boolean;
}

/** One call's logging: its counters and context, one object per call (no closures). */
class LoggingHooks implements CallHooks {
  readonly started: number;
  /** Read now: once the stream has closed (cancelled calls), grpc-js reports "unknown". */
  readonly peer: string;
  messagesIn = 0;
  messagesOut = 0;
  /** Bound once the metadata arrives; the auth stage adds the claims to it later. */
  context: CallContext | undefined = undefined;
  done = false;

  constructor(
    readonly shared: LoggingShared,
    readonly path: string,
    readonly call: grpc.ServerInterceptingCallInterface,
  ) {
    this.started = shared.now();
    this.peer = peerOf(call);
    shared.stats.active++;
    shared.stats.total++;
  }

  requestId(): string {
    return this.context?.requestId ?? "-";
  }

  finish(code: grpc.status, ended: "status" | "transport", details: string): void {
    if (this.done) return;
    this.done = true;
    const { logger, stats, limiter, now } = this.shared;
    stats.active--;
    if (code !== grpc.status.OK) {
      // Log what the client got: grpc-js may have answered before (or instead of) us.
      const sent = sentStatus(this.call);
      if (sent !== undefined) {
        code = sent.code;
        details = sent.details;
        ended = "transport";
      }
    }
    const level = this.path.startsWith(HEALTH_PREFIX)
      ? "debug"
      : code === grpc.status.OK
      ? "info"
      : ended === "status" && SERVER_FAULTS.has(code)
      ? "error"
      : "warning";
    if (!isLogged(logger, level)) return;
    const status = grpc.status[code] ?? String(code);
    if (code !== grpc.status.OK && !limiter.admit(status, details)) {
      stats.suppressedLines = (stats.suppressedLines ?? 0) + 1;
      return;
    }
    const context = this.context;
    const fields: CallLineFields = {
      method: this.path,
      peer: this.peer,
      status,
      durationMs: Math.round((now() - this.started) * 1000) / 1000,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      requestId: this.requestId(),
      sub: context?.claims?.sub ?? "-",
      ended,
      traceId: context?.traceId,
      spanId: context?.spanId,
    };
    const traced = fields.traceId !== undefined;
    if (code === grpc.status.OK) (traced ? TRACED_OK_LINE : OK_LINE).emit(logger, level, fields);
    else {
      fields.details = details;
      (traced ? TRACED_FAILED_LINE : FAILED_LINE).emit(logger, level, fields);
    }
  }

  onReceiveMetadata(received: grpc.Metadata, next: (metadata: grpc.Metadata) => void): void {
    this.context = callContextOf(received);
    next(received);
  }

  onReceiveMessage(): void {
    this.messagesIn++;
  }

  onCancel(): void {
    // Unless grpc-js sent a status itself (see sentStatus), the client
    // cancelled or reset the stream, or the connection went away.
    this.finish(grpc.status.CANCELLED, "transport", "ended before a status was sent");
  }

  sendMetadata(headers: grpc.Metadata): grpc.Metadata | void {
    if (this.shared.echo) return withNeverIndexed(headers, REQUEST_ID_HEADER, this.requestId());
  }

  sendMessage(): void {
    this.messagesOut++;
  }

  sendStatus(status: CallStatus): CallStatus | void {
    this.finish(status.code, "status", status.details ?? "");
    if (!this.shared.echo) return;
    const trailers = withNeverIndexed(status.metadata, REQUEST_ID_HEADER, this.requestId());
    return { ...status, metadata: trailers };
  }
}
