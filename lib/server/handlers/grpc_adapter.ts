/**
 * Adapts a {@linkcode GreeterService} to grpc-js handlers. Every handler
 * passes through the same error boundary (`toWireStatus`), so an unexpected
 * throw anywhere becomes `INTERNAL` with a generic message and a request id.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@logtape/logtape";
import type { EventEmitter } from "node:events";
import { callContext } from "../call_context.ts";
import { toWireStatus } from "../errors.ts";
import type { GreeterHandlers, HelloReply, HelloRequest__Output } from "../../shared/proto.ts";
import type { GreeterCallContext, GreeterService } from "./greeter.ts";
import { requestsOf } from "./_request_stream.ts";

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

async function writeAll(
  call: Writable | grpc.ServerDuplexStream<HelloRequest__Output, HelloReply>,
  replies: AsyncIterable<HelloReply>,
): Promise<void> {
  for await (const reply of replies) {
    if (call.cancelled) return;
    // Respect HTTP/2 flow control: wait when the stream's buffer is full, but
    // not past the call's end (a client that stops reading, then cancels).
    if (!call.write(reply)) await drainedOrEnded(call);
  }
  call.end();
}

/**
 * Wraps `service` as grpc-js handlers for `helloworld.Greeter`.
 *
 * @param service the business logic
 * @param logger where unexpected errors are logged, with their request id
 */
export function toGrpcHandlers(service: GreeterService, logger: Logger): GreeterHandlers {
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
      writeAll(call, service.sayHelloStream(call.request, context)).catch((error) =>
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
      writeAll(call, service.sayHelloBidirectional(requestsOf(call), context)).catch((error) =>
        call.emit("error", failure(error, context, logger))
      );
    },
  };
}
