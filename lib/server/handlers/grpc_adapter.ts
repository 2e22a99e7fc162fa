/**
 * Adapts a {@linkcode GreeterService} to grpc-js handlers. Every handler
 * passes through the same error boundary (`toWireStatus`), so an unexpected
 * throw anywhere becomes `INTERNAL` with a generic message and a request id.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@logtape/logtape";
import { Buffer } from "node:buffer";
import type { EventEmitter } from "node:events";
import * as http2 from "node:http2";
import { callContext } from "../call_context.ts";
import { GreeterError, toWireStatus } from "../errors.ts";
import type { GreeterHandlers, HelloReply, HelloRequest__Output } from "../../shared/proto.ts";
import type { GreeterCallContext, GreeterService } from "./greeter.ts";
import { requestsOf } from "./_request_stream.ts";
import { createReplyFlow, type ReplyFlow, type ReplyFlowOptions } from "./reply_flow.ts";
import { DEFAULT_REPLY_STALL_MS } from "../../shared/defaults.ts";
import { handlerHttp2StreamOf } from "../_call_layers.ts";

/** The parts of any server call the context needs. */
interface AnyCall {
  readonly metadata: grpc.Metadata;
  readonly cancelled: boolean;
  once(event: "cancelled", listener: () => void): unknown;
}
type Writable = grpc.ServerWritableStream<HelloRequest__Output, HelloReply>;

/**
 * One shared abort reason: grpc-js emits `cancelled` at the end of every call,
 * finished or not, and a fresh `DOMException` per call showed in profiles.
 */
const CALL_ENDED = new DOMException("call ended", "AbortError");

function contextOf(call: AnyCall): GreeterCallContext {
  const { requestId, claims, identity } = callContext(call);
  const controller = new AbortController();
  if (call.cancelled) controller.abort(CALL_ENDED);
  else call.once("cancelled", () => controller.abort(CALL_ENDED));
  return { requestId, claims, identity, signal: controller.signal };
}

function failure(error: unknown, context: GreeterCallContext, logger: Logger) {
  const { code, details } = toWireStatus(error, context.requestId, logger);
  return { code, details, name: grpc.status[code], message: details } as grpc.ServiceError;
}

/** Resolves when `call` can take more writes, or has been cancelled. */
function drainedOrEnded(call: EventEmitter & { cancelled: boolean }): Promise<void> {
  if (call.cancelled) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      resolve();
    };
    call.on("drain", done);
    call.on("cancelled", done);
  });
}

/** Runs `fn`, turning a synchronous throw into a rejection so the boundary sees it. */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Bytes a reply takes on the wire, near enough: its text, the field's tag and length, the gRPC prefix. */
function replyBytes(reply: HelloReply): number {
  return (reply.message === undefined ? 0 : Buffer.byteLength(reply.message)) + 8;
}

async function writeAll(
  call: Writable | grpc.ServerDuplexStream<HelloRequest__Output, HelloReply>,
  replies: AsyncIterable<HelloReply>,
  flow: ReplyFlow,
  stallMs: number,
): Promise<void> {
  const lane = flow.open(handlerHttp2StreamOf(call));
  for await (const reply of replies) {
    if (call.cancelled) return;
    // Respect HTTP/2 flow control: wait when the stream's buffer is full, but
    // not past the call's end (a client that stops reading, then cancels).
    const full = !call.write(reply);
    // And wait while the connection holds too many replies its client has not
    // taken (Deno 2.9.3's HTTP/2 layer takes them all at once: reply_flow.ts).
    const held = lane.wrote(replyBytes(reply));
    if (full) await drainedOrEnded(call);
    if (held !== undefined && !(await held)) {
      if (call.cancelled) return;
      // Stalled: end with a status (logged), then reset the stream so the
      // queued replies are dropped; the client sees RESOURCE_EXHAUSTED too.
      call.once("finish", () => lane.stream?.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM));
      throw new GreeterError(
        grpc.status.RESOURCE_EXHAUSTED,
        `replies not read by the client for ${stallMs / 1000} s`,
      );
    }
  }
  call.end();
}

/** Options for {@linkcode toGrpcHandlers}. */
export interface GrpcHandlersOptions {
  /** Bounds on reply bytes the clients have not read (see `reply_flow.ts`). @default its defaults */
  replyFlow?: ReplyFlowOptions;
}

/**
 * Wraps `service` as grpc-js handlers for `helloworld.Greeter`.
 *
 * @param service the business logic
 * @param logger where unexpected errors are logged, with their request id
 * @param options bounds on unread replies
 *
 * @example
 * ```ts
 * server.addService(greeterDefinition, toGrpcHandlers(createGreeterService(), logger));
 * ```
 */
export function toGrpcHandlers(
  service: GreeterService,
  logger: Logger,
  options: GrpcHandlersOptions = {},
): GreeterHandlers {
  const flow = createReplyFlow(options.replyFlow);
  const stallMs = options.replyFlow?.stallMs ?? DEFAULT_REPLY_STALL_MS;
  return {
    SayHello(call, callback) {
      const context = contextOf(call);
      attempt(() => service.sayHello(call.request, context)).then(
        (reply) => callback(null, reply),
        (error) => callback(failure(error, context, logger)),
      );
    },

    SayHelloStream(call) {
      const context = contextOf(call);
      writeAll(call, service.sayHelloStream(call.request, context), flow, stallMs).catch((error) =>
        call.emit("error", failure(error, context, logger))
      );
    },

    SayHelloClientStream(call, callback) {
      const context = contextOf(call);
      attempt(() => service.sayHelloClientStream(requestsOf(call), context)).then(
        (reply) => callback(null, reply),
        (error) => callback(failure(error, context, logger)),
      );
    },

    SayHelloBidirectional(call) {
      const context = contextOf(call);
      writeAll(call, service.sayHelloBidirectional(requestsOf(call), context), flow, stallMs).catch(
        (error) => call.emit("error", failure(error, context, logger)),
      );
    },
  };
}
