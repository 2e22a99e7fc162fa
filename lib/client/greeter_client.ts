/**
 * The Greeter client: one channel with verified TLS (or explicit plaintext),
 * a bearer token attached to every call, a deadline on every call, grpc-js
 * retries for `UNAVAILABLE`, and promise / async-iterator wrappers for the
 * four RPC patterns.
 *
 * How the token travels: over TLS as grpc-js call credentials (a metadata
 * generator asked once per attempt); over plaintext grpc-js refuses call
 * credentials, so, only when the caller opted in, a client interceptor adds
 * the header instead. Over plaintext without the opt-in no token is sent.
 *
 * After an `UNAUTHENTICATED` answer the token provider is invalidated (so the
 * next call carries a fresh token) and a unary call is retried once. Streams
 * are not replayed: messages may already have been consumed, so the stream
 * fails with `UNAUTHENTICATED` and the caller opens a new one, which gets the
 * fresh token.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  type GreeterClient,
  type HelloReply__Output,
  type HelloRequest,
  loadGreeterProto,
} from "../shared/proto.ts";
import { ReplyQueue } from "./_reply_queue.ts";
import { channelSecurity, type ChannelTlsMaterial } from "./credentials.ts";
import { idleTimeoutChannelOptions } from "./idle_timeout.ts";
import { retryChannelOptions, type RetryOptions } from "./service_config.ts";
import type { TokenProvider } from "./token_provider.ts";
import { DEFAULT_CALL_DEADLINE_MS } from "../shared/defaults.ts";
import { createClientTracingInterceptor } from "./tracing_interceptor.ts";
import { greeterTracer, type SpanStarter, tracingEnabled } from "../shared/tracing.ts";

/** Options for {@linkcode createGreeterClient}. */
export interface GreeterClientOptions {
  /** `host:port` to dial. */
  target: string;
  /** TLS material, or `null` for plaintext. */
  tls: ChannelTlsMaterial | null;
  /** Source of bearer tokens; `null` sends none. @default null */
  tokenProvider?: TokenProvider | null;
  /**
   * Send the token even over plaintext. Without it, a provider on a plaintext
   * channel is an error.
   * @default false
   */
  allowTokenOverPlaintext?: boolean;
  /** Deadline of a call that sets none, in milliseconds. @default DEFAULT_CALL_DEADLINE_MS (5000) */
  deadlineMs?: number;
  /** Retry policy for `UNAVAILABLE`. @default {} (4 attempts, 100 ms initial backoff) */
  retry?: RetryOptions;
  /** Extra grpc-js channel options (they win over ours). @default {} */
  channelOptions?: grpc.ChannelOptions;
  /** Clock used for deadlines, milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /**
   * Tracing: one client span per call, sent to the server as W3C
   * `traceparent`. Absent means on exactly when Deno's OpenTelemetry is on
   * (`OTEL_DENO=true`); `false` turns it off; an object uses its tracer.
   * @default on when tracingEnabled()
   */
  tracing?: { tracer: SpanStarter } | false;
}

/** Per-call options. */
export interface GreeterCallOptions {
  /** Deadline, in milliseconds from now. @default the client's `deadlineMs` */
  deadlineMs?: number;
  /** Extra request metadata. */
  metadata?: grpc.Metadata;
  /** Aborting cancels the call (the caller sees `CANCELLED`). */
  signal?: AbortSignal;
  /** Retry a unary call once with a fresh token after `UNAUTHENTICATED`. @default true */
  retryUnauthenticated?: boolean;
}

/** A server-streaming call: iterate replies; `status` is the final status. */
export interface ServerStreamCall extends AsyncIterable<HelloReply__Output> {
  /** Next reply, `undefined` at the end; rejects with the call's error. */
  next(): Promise<HelloReply__Output | undefined>;
  /** Cancels the call. */
  cancel(): void;
  /** Final status; never rejects. */
  readonly status: Promise<grpc.StatusObject>;
}

/** A client-streaming call left open by the caller. */
export interface ClientStreamCall {
  /** Sends one request; resolves once grpc-js accepted it. */
  send(request: HelloRequest): Promise<void>;
  /** Half-closes: no more requests. */
  end(): void;
  /** Cancels the call. */
  cancel(): void;
  /** The reply; rejects with the call's error. */
  readonly response: Promise<HelloReply__Output>;
}

/** A bidirectional call: send requests and pull replies independently. */
export interface BidiCall extends ServerStreamCall {
  /** Sends one request; resolves once grpc-js accepted it. */
  send(request: HelloRequest): Promise<void>;
  /** Half-closes: no more requests. */
  end(): void;
}

/** A connected Greeter client; see {@linkcode createGreeterClient}. */
export interface GreeterConnection extends Disposable {
  /** One request, one reply. */
  sayHello(request: HelloRequest, options?: GreeterCallOptions): Promise<HelloReply__Output>;
  /** One request, a stream of replies. */
  sayHelloStream(request: HelloRequest, options?: GreeterCallOptions): ServerStreamCall;
  /** Sends all `requests`, half-closes, resolves with the one reply. */
  sayHelloClientStream(
    requests: Iterable<HelloRequest> | AsyncIterable<HelloRequest>,
    options?: GreeterCallOptions,
  ): Promise<HelloReply__Output>;
  /** Opens a client-streaming call the caller drives. */
  openClientStream(options?: GreeterCallOptions): ClientStreamCall;
  /** Opens a bidirectional call. */
  sayHelloBidirectional(options?: GreeterCallOptions): BidiCall;
  /** The underlying grpc-js client, for what the wrappers do not cover. */
  readonly raw: GreeterClient;
  /** The target dialled. */
  readonly target: string;
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
}

/**
 * Creates a Greeter client.
 *
 * @param options target, TLS, token provider, deadline and retry settings
 * @returns a {@linkcode GreeterConnection}; `close()` it (or `using`) when done
 * @throws {TypeError} on a token provider over plaintext without the opt-in
 *
 * @example
 * ```ts
 * using client = createGreeterClient({ target: "127.0.0.1:50051", tls: { ca }, tokenProvider });
 * const reply = await client.sayHello({ name: "Ada" });
 * for await (const r of client.sayHelloStream({ name: "Ada", count: 3 })) console.log(r.message);
 * ```
 */
export function createGreeterClient(options: GreeterClientOptions): GreeterConnection {
  const now = options.now ?? Date.now;
  const defaultDeadlineMs = options.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  if (!(defaultDeadlineMs > 0)) throw new TypeError("deadlineMs must be positive");
  const provider = options.tokenProvider ?? null;
  if (provider !== null && options.tls === null && !options.allowTokenOverPlaintext) {
    throw new TypeError(
      "refusing to send a bearer token over plaintext; pass allowTokenOverPlaintext to opt in",
    );
  }

  const security = channelSecurity(options.target, options.tls);
  let credentials = security.credentials;
  const interceptors: grpc.Interceptor[] = [];
  // Outermost: one span per call, around retries and token refreshes.
  const tracing = options.tracing ?? (tracingEnabled() ? { tracer: greeterTracer() } : false);
  if (tracing !== false) interceptors.push(createClientTracingInterceptor(tracing));
  if (provider !== null) {
    // Invalidate on UNAUTHENTICATED for every call kind, so the next call gets a fresh token.
    interceptors.push(invalidateOnUnauthenticated(provider));
    if (options.tls === null) interceptors.push(bearerInterceptor(provider));
    else {
      credentials = grpc.credentials.combineChannelCredentials(
        credentials,
        grpc.credentials.createFromMetadataGenerator((_params, callback) => {
          provider.getToken().then(
            (token) => callback(null, bearerMetadata(token)),
            (error) => {
              // Same status and text as the plaintext path: grpc-js uses `code` when given.
              const reason = error instanceof Error ? error.message : String(error);
              callback(Object.assign(new Error(`token provider failed: ${reason}`), {
                code: grpc.status.UNAVAILABLE,
              }));
            },
          );
        }),
      );
    }
  }

  const { helloworld } = loadGreeterProto();
  const raw = new helloworld.Greeter(options.target, credentials, {
    // Closes idle channels itself on the Deno releases that abort on a received GOAWAY.
    ...idleTimeoutChannelOptions(),
    ...retryChannelOptions(options.retry),
    ...security.options,
    interceptors,
    ...options.channelOptions,
  });

  const callOptions = (opts: GreeterCallOptions | undefined): grpc.CallOptions => ({
    deadline: new Date(now() + (opts?.deadlineMs ?? defaultDeadlineMs)),
  });
  const metadataOf = (opts: GreeterCallOptions | undefined) =>
    opts?.metadata?.clone() ?? new grpc.Metadata();
  const onAbort = (signal: AbortSignal | undefined, call: { cancel(): void }) => {
    if (signal === undefined) return;
    if (signal.aborted) call.cancel();
    else signal.addEventListener("abort", () => call.cancel(), { once: true });
  };

  const unaryOnce = (request: HelloRequest, opts: GreeterCallOptions | undefined) =>
    new Promise<HelloReply__Output>((resolve, reject) => {
      const call = raw.SayHello(request, metadataOf(opts), callOptions(opts), (error, reply) => {
        if (error) reject(error);
        else resolve(reply!);
      });
      onAbort(opts?.signal, call);
    });

  const streamCall = (
    call:
      | grpc.ClientReadableStream<HelloReply__Output>
      | grpc.ClientDuplexStream<HelloRequest, HelloReply__Output>,
  ): ServerStreamCall => {
    const queue = new ReplyQueue<HelloReply__Output>(call);
    return {
      next: () => queue.next(),
      cancel: () => call.cancel(),
      status: queue.status,
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    };
  };

  const openClientStream = (opts?: GreeterCallOptions): ClientStreamCall => {
    let call!: grpc.ClientWritableStream<HelloRequest>;
    const response = new Promise<HelloReply__Output>((resolve, reject) => {
      call = raw.SayHelloClientStream(metadataOf(opts), callOptions(opts), (error, reply) => {
        if (error) reject(error);
        else resolve(reply!);
      });
    });
    // Writes after the call failed report the failure through `response`; keep them quiet here.
    call.on("error", () => {});
    onAbort(opts?.signal, call);
    return {
      send: (request) => writeTo(call, request),
      end: () => call.end(),
      cancel: () => call.cancel(),
      response,
    };
  };

  const connection: GreeterConnection = {
    raw,
    target: options.target,
    async sayHello(request, opts) {
      try {
        return await unaryOnce(request, opts);
      } catch (error) {
        if (
          provider?.refreshable && (opts?.retryUnauthenticated ?? true) &&
          statusOf(error) === grpc.status.UNAUTHENTICATED && !opts?.signal?.aborted
        ) {
          provider.invalidate();
          return await unaryOnce(request, opts);
        }
        throw error;
      }
    },
    sayHelloStream(request, opts) {
      const call = raw.SayHelloStream(request, metadataOf(opts), callOptions(opts));
      onAbort(opts?.signal, call);
      return streamCall(call);
    },
    async sayHelloClientStream(requests, opts) {
      const call = openClientStream(opts);
      try {
        for await (const request of requests) await call.send(request);
        call.end();
      } catch (error) {
        // The call failed while sending: the response carries the real status.
        call.response.catch(() => {});
        await call.response;
        throw error;
      }
      return await call.response;
    },
    openClientStream,
    sayHelloBidirectional(opts) {
      const call = raw.SayHelloBidirectional(metadataOf(opts), callOptions(opts));
      onAbort(opts?.signal, call);
      return {
        ...streamCall(call),
        send: (request) => writeTo(call, request),
        end: () => call.end(),
      };
    },
    close() {
      raw.close();
    },
    [Symbol.dispose]() {
      raw.close();
    },
  };
  return connection;
}

/** Writes one message; resolves when grpc-js accepted it, rejects if the call is over. */
function writeTo(
  call: grpc.ClientWritableStream<HelloRequest> | grpc.ClientDuplexStream<HelloRequest, unknown>,
  request: HelloRequest,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (call.writableEnded || call.destroyed) {
      return reject(new Error("stream already closed for writing"));
    }
    call.write(request, (error: Error | null | undefined) => (error ? reject(error) : resolve()));
  });
}

/** `authorization: Bearer <token>` metadata. */
export function bearerMetadata(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/**
 * The gRPC status code of a call error, or `undefined` for anything else.
 *
 * @param error what a call rejected with
 */
export function statusOf(error: unknown): grpc.status | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "number" && grpc.status[code] !== undefined) return code;
  }
  return undefined;
}

/**
 * The name of a status code (`"UNAUTHENTICATED"`), for messages and reports.
 *
 * @param code a gRPC status code
 */
export function statusName(code: grpc.status): string {
  return grpc.status[code] ?? `code ${code}`;
}

/** Adds the provider's token as `authorization` (used only on opted-in plaintext channels). */
function bearerInterceptor(provider: TokenProvider): grpc.Interceptor {
  return (options, nextCall) => {
    const call: grpc.InterceptingCall = new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        provider.getToken().then(
          (token) => {
            metadata.set("authorization", `Bearer ${token}`);
            next(metadata, listener);
          },
          (error) => {
            // Start without a token only to fail at once, as failing call credentials do.
            next(metadata, listener);
            const reason = error instanceof Error ? error.message : String(error);
            call.cancelWithStatus(grpc.status.UNAVAILABLE, `token provider failed: ${reason}`);
          },
        );
      },
    });
    return call;
  };
}

/** Invalidates the provider's token when the server answers `UNAUTHENTICATED`. */
function invalidateOnUnauthenticated(provider: TokenProvider): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (status.code === grpc.status.UNAUTHENTICATED) provider.invalidate();
            nextStatus(status);
          },
        });
      },
    });
}
