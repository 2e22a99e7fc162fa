/**
 * The four Greeter RPCs: business logic only. No gRPC types, no tokens:
 * requests come in as plain objects and async iterables, and the adapter in
 * `lib/handlers/grpc_adapter.ts` does the wiring and error mapping.
 *
 * @module
 */
import type { Identity } from "../../auth/authz_policy.ts";
import type { GreeterClaims } from "../../auth/jwt.ts";
import type { HelloReply, HelloRequest__Output } from "../../shared/proto.ts";
import { validCount, validName } from "./validation.ts";
import { DEFAULT_STREAM_INTERVAL_MS } from "../../shared/defaults.ts";

/** What a handler knows about its call. */
export interface GreeterCallContext {
  /** Verified claims; absent in basic (no-auth) mode. */
  readonly claims?: GreeterClaims;
  /** The verified caller: subject, scopes and roles; absent in basic (no-auth) mode. */
  readonly identity?: Identity;
  /** The call's request id, for log lines. */
  readonly requestId: string;
  /** Aborted when the call is cancelled, times out or ends early. */
  readonly signal: AbortSignal;
}

/** The Greeter service in async form; see `protos/greeter.proto`. */
export interface GreeterService {
  /** One reply whose message contains the name. */
  sayHello(request: HelloRequest__Output, context: GreeterCallContext): Promise<HelloReply>;
  /** `count` replies, each containing the name, yielded as produced. */
  sayHelloStream(
    request: HelloRequest__Output,
    context: GreeterCallContext,
  ): AsyncIterable<HelloReply>;
  /** After the requests end, one reply naming them all, in order. */
  sayHelloClientStream(
    requests: AsyncIterable<HelloRequest__Output>,
    context: GreeterCallContext,
  ): Promise<HelloReply>;
  /** One reply per request, in order, yielded as soon as that request arrives. */
  sayHelloBidirectional(
    requests: AsyncIterable<HelloRequest__Output>,
    context: GreeterCallContext,
  ): AsyncIterable<HelloReply>;
}

/** Options for {@linkcode createGreeterService}. */
export interface GreeterServiceOptions {
  /** Pause between `SayHelloStream` replies, in milliseconds. @default 0 */
  streamIntervalMs?: number;
}

/** The greeting for one name. */
export function greeting(name: string): string {
  return `Hello, ${name}!`;
}

/**
 * Builds the Greeter's business logic.
 *
 * @example
 * ```ts
 * const service = createGreeterService({ streamIntervalMs: 100 });
 * ```
 */
export function createGreeterService(options: GreeterServiceOptions = {}): GreeterService {
  const interval = options.streamIntervalMs ?? DEFAULT_STREAM_INTERVAL_MS;
  return {
    // deno-lint-ignore require-await
    async sayHello(request) {
      return { message: greeting(validName(request.name)) };
    },

    async *sayHelloStream(request, { signal }) {
      const name = validName(request.name);
      const count = validCount(request.count);
      for (let i = 1; i <= count && !signal.aborted; i++) {
        if (i > 1 && interval > 0) await pause(interval, signal);
        yield { message: `${greeting(name)} (${i}/${count})` };
      }
    },

    async sayHelloClientStream(requests) {
      const names: string[] = [];
      for await (const request of requests) names.push(validName(request.name));
      if (names.length === 0) return { message: "Hello, nobody!" };
      return { message: greeting(names.join(", ")) };
    },

    async *sayHelloBidirectional(requests) {
      for await (const request of requests) yield { message: greeting(validName(request.name)) };
    },
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
