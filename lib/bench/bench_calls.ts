/**
 * The four Greeter RPC patterns as load calls: each turns one RPC into one
 * {@linkcode CallOutcome} for {@linkcode runLoad}, with the final status as a
 * gRPC status name, the replies received and, for calls whose replies stream,
 * the time to the first reply.
 *
 * A stream that ends OK with the wrong number of replies is
 * {@linkcode INCOMPLETE_STATUS}, so it does not pass as a success.
 *
 * A call never throws: a failed RPC is an outcome with its status name
 * (`"UNAVAILABLE"`, `"DEADLINE_EXCEEDED"`, …) and message, so the runner can
 * count it. Every call carries the connection's deadline, which is what keeps
 * a stuck server from stalling the run (the runner itself never cancels).
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import {
  type GreeterCallOptions,
  type GreeterConnection,
  statusName,
  statusOf,
} from "../client/greeter_client.ts";
import { MAX_STREAM_COUNT } from "../shared/defaults.ts";
import type { RpcKind } from "../shared/rpc_kinds.ts";
import type { CallContext, CallOutcome, LoadCall } from "./load_runner.ts";

/** Options for {@linkcode createPatternCall}. */
export interface PatternCallOptions {
  /**
   * Connections to spread calls over; worker `w` always uses connection
   * `w % connections.length`, so each connection carries a fixed share.
   */
  connections: readonly GreeterConnection[];
  /**
   * Messages per streaming call: replies asked of a server stream (at most
   * {@linkcode MAX_STREAM_COUNT}), requests sent on a client stream, and
   * request/reply round trips on a bidi stream. Ignored for unary.
   * @default 10
   */
  messages?: number;
  /** Name sent in every request. @default "bench" */
  name?: string;
  /** Deadline of each call in ms. @default the connection's own default */
  deadlineMs?: number;
  /** Monotonic clock, ms, for time to first message. @default performance.now */
  now?: () => number;
}

/**
 * Builds the load call for one pattern.
 *
 * - `unary`: one `SayHello`; 1 message.
 * - `server-stream`: one `SayHelloStream` asking `messages` replies, all read;
 *   `firstMessageMs` is the time to the first reply.
 * - `client-stream`: `messages` requests, half-close, the one reply; 1 message.
 * - `bidi`: `messages` ping-pongs (send one request, wait for its reply), then
 *   half-close and wait for the end; `firstMessageMs` is the first round trip.
 *
 * @param pattern which RPC to drive
 * @param options connections, message count, deadline
 * @returns a call for {@linkcode runLoad}; it never rejects
 * @throws {RangeError} on no connections or a bad message count
 *
 * @example
 * ```ts
 * const call = createPatternCall("bidi", { connections: [client], messages: 10 });
 * const result = await runLoad({ call, concurrency: 16, durationMs: 5_000 });
 * ```
 */
export function createPatternCall(pattern: RpcKind, options: PatternCallOptions): LoadCall {
  const { connections } = options;
  if (connections.length === 0) throw new RangeError("at least one connection is needed");
  const messages = options.messages ?? 10;
  if (!Number.isInteger(messages) || messages < 1) {
    throw new RangeError(`messages must be a positive whole number, got ${messages}`);
  }
  if (pattern === "server-stream" && messages > MAX_STREAM_COUNT) {
    throw new RangeError(
      `server-stream asks the server for at most ${MAX_STREAM_COUNT} replies, got ${messages}`,
    );
  }
  const name = options.name ?? "bench";
  const now = options.now ?? (() => performance.now());
  const callOptions: GreeterCallOptions = {
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    // A bench measures the server as it answers; a retried call would hide failures.
    retryUnauthenticated: false,
  };
  const pick = (ctx: CallContext) => connections[ctx.worker % connections.length];
  const request = { name };
  const requests = Array.from({ length: messages }, () => request);

  switch (pattern) {
    case "unary":
      return sending(1, async (ctx) => {
        await pick(ctx).sayHello(request, callOptions);
        return { status: "OK", messages: 1 };
      });
    case "server-stream":
      return sending(1, async (ctx) => {
        const started = now();
        let firstMessageMs: number | undefined;
        let received = 0;
        try {
          for await (const _ of pick(ctx).sayHelloStream({ name, count: messages }, callOptions)) {
            if (received++ === 0) firstMessageMs = now() - started;
          }
        } catch (error) {
          return failed(error, received, firstMessageMs);
        }
        return complete(received, messages, firstMessageMs);
      });
    case "client-stream":
      // The requests are what this pattern moves; a failed call counts none.
      return guarded(async (ctx) => {
        await pick(ctx).sayHelloClientStream(requests, callOptions);
        return { status: "OK", messages: 1, messagesSent: messages };
      });
    case "bidi":
      return guarded(async (ctx) => {
        const started = now();
        let firstMessageMs: number | undefined;
        let received = 0;
        let sent = 0;
        const call = pick(ctx).sayHelloBidirectional(callOptions);
        const outcome = await (async (): Promise<CallOutcome> => {
          try {
            for (let i = 0; i < messages; i++) {
              await call.send(request);
              sent++;
              const reply = await call.next();
              if (reply === undefined) break;
              if (received++ === 0) firstMessageMs = now() - started;
            }
            call.end();
            // Drain to the end so the final status is known (and no reply is left unread).
            while ((await call.next()) !== undefined) received++;
          } catch (error) {
            call.cancel();
            // A send can fail before the status arrives; the status says why.
            const status = await call.status;
            if (status.code !== 0) return outcomeOf(status, received, firstMessageMs);
            return failed(error, received, firstMessageMs);
          }
          return complete(received, messages, firstMessageMs);
        })();
        return { ...outcome, messagesSent: sent };
      });
  }
}

/**
 * Status of a stream that ended with OK but with fewer or more replies than
 * asked for: not a gRPC status, so it is never mistaken for a server's answer.
 */
export const INCOMPLETE_STATUS = "INCOMPLETE";

function complete(
  received: number,
  expected: number,
  firstMessageMs: number | undefined,
): CallOutcome {
  if (received === expected) return { status: "OK", messages: received, firstMessageMs };
  return {
    status: INCOMPLETE_STATUS,
    messages: received,
    firstMessageMs,
    error: `expected ${expected} replies, got ${received}`,
  };
}

/**
 * The gRPC status name of a call error: `"UNAVAILABLE"` and so on, or
 * `"UNKNOWN"` for an error that carries no gRPC status.
 *
 * @param error what a call rejected with
 * @returns a status name
 */
export function statusNameOf(error: unknown): string {
  const code = statusOf(error);
  return code === undefined ? "UNKNOWN" : statusName(code);
}

/** Like {@linkcode guarded}, for a call that sends `count` requests whatever its outcome. */
function sending(count: number, fn: (ctx: CallContext) => Promise<CallOutcome>): LoadCall {
  const call = guarded(fn);
  return async (ctx) => ({ ...await call(ctx), messagesSent: count });
}

/** Turns a rejection of `fn` into an outcome, so the call never throws. */
function guarded(fn: (ctx: CallContext) => Promise<CallOutcome>): LoadCall {
  return async (ctx) => {
    try {
      return await fn(ctx);
    } catch (error) {
      return failed(error, 0, undefined);
    }
  };
}

function failed(error: unknown, messages: number, firstMessageMs: number | undefined): CallOutcome {
  const details = (error as Partial<grpc.ServiceError> | undefined)?.details;
  const message = typeof details === "string" && details !== ""
    ? details
    : error instanceof Error
    ? error.message
    : String(error);
  return { status: statusNameOf(error), messages, firstMessageMs, error: message };
}

function outcomeOf(
  status: grpc.StatusObject,
  messages: number,
  firstMessageMs: number | undefined,
): CallOutcome {
  return {
    status: statusName(status.code),
    messages,
    firstMessageMs,
    error: status.details || statusName(status.code),
  };
}
