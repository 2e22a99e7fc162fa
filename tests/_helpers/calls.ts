/**
 * Promise wrappers for one call of each RPC kind over a raw grpc-js client.
 * None of them rejects: each resolves with how the call ended (status,
 * details, replies, headers and trailers), so tests assert on all of it.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { GreeterClient, HelloRequest } from "../../lib/shared/proto.ts";
import type { RpcKind } from "../../lib/shared/rpc_kinds.ts";

/** How a call ended, whatever its kind. */
export interface CallResult {
  /** Final status code. */
  code: grpc.status;
  /** Status details. */
  details: string;
  /** Reply messages, in arrival order. */
  messages: string[];
  /** Response headers, when the server sent any. */
  headers?: grpc.Metadata;
  /** Trailers, when the call ended with a status from the server. */
  trailers?: grpc.Metadata;
}

/** Per-call options for the call helpers. */
export interface CallOptions {
  /** Request metadata (use {@linkcode bearer}). */
  metadata?: grpc.Metadata;
  /** Deadline from now, in ms; keeps a broken server from hanging a test. @default 10000 */
  deadlineMs?: number;
}

function callOptions(options: CallOptions): grpc.CallOptions {
  return { deadline: Date.now() + (options.deadlineMs ?? 10_000) };
}

interface CallEvents {
  on(event: "metadata", listener: (metadata: grpc.Metadata) => void): unknown;
  on(event: "status", listener: (status: grpc.StatusObject) => void): unknown;
}

/** Collects headers and the final status of a call; resolves when both the status and `done` have come. */
function track(call: CallEvents, result: CallResult): Promise<CallResult> {
  call.on("metadata", (headers) => result.headers = headers);
  return new Promise((resolve) => {
    call.on("status", (status) => {
      result.code = status.code;
      result.details = status.details;
      result.trailers = status.metadata;
      resolve(result);
    });
  });
}

function emptyResult(): CallResult {
  return { code: grpc.status.UNKNOWN, details: "", messages: [] };
}

/** `SayHello`, as a promise of its outcome (never rejects). */
export function unary(
  client: GreeterClient,
  request: HelloRequest,
  options: CallOptions = {},
): Promise<CallResult> {
  const result = emptyResult();
  let replied!: () => void;
  const reply = new Promise<void>((resolve) => replied = resolve);
  const call = client.SayHello(
    request,
    options.metadata ?? new grpc.Metadata(),
    callOptions(options),
    (_error, response) => {
      if (response) result.messages.push(response.message);
      replied();
    },
  );
  return Promise.all([track(call, result), reply]).then(() => result);
}

/** `SayHelloStream`, collecting every reply (never rejects). */
export function serverStream(
  client: GreeterClient,
  request: HelloRequest,
  options: CallOptions = {},
): Promise<CallResult> {
  const result = emptyResult();
  const call = client.SayHelloStream(
    request,
    options.metadata ?? new grpc.Metadata(),
    callOptions(options),
  );
  call.on("data", (reply) => result.messages.push(reply.message));
  call.on("error", () => {}); // the status event carries it
  const ended = new Promise<void>((resolve) => {
    call.on("end", resolve);
    call.on("error", () => resolve());
  });
  return Promise.all([track(call, result), ended]).then(() => result);
}

/** `SayHelloClientStream`: writes every request, half-closes, awaits the reply (never rejects). */
export function clientStream(
  client: GreeterClient,
  requests: readonly HelloRequest[],
  options: CallOptions = {},
): Promise<CallResult> {
  const result = emptyResult();
  let replied!: () => void;
  const reply = new Promise<void>((resolve) => replied = resolve);
  const call = client.SayHelloClientStream(
    options.metadata ?? new grpc.Metadata(),
    callOptions(options),
    (_error, response) => {
      if (response) result.messages.push(response.message);
      replied();
    },
  );
  for (const request of requests) call.write(request);
  call.end();
  return Promise.all([track(call, result), reply]).then(() => result);
}

/** Options for {@linkcode bidiPingPong}. */
export interface PingPongOptions extends CallOptions {
  /** Longest wait for the reply to one request, in ms. @default 2000 */
  replyTimeoutMs?: number;
  /** Leave the request side open at the end instead of half-closing. @default false */
  keepOpen?: boolean;
}

/** Result of {@linkcode bidiPingPong}: a call result plus how many requests were sent. */
export interface PingPongResult extends CallResult {
  /** Requests written before the call ended. */
  sent: number;
  /** Set when a reply did not come within `replyTimeoutMs` (the call was cancelled). */
  timedOut: boolean;
}

/**
 * `SayHelloBidirectional` as ping-pong: sends one request, waits for its reply,
 * then sends the next; half-closes after the last reply. A server that holds
 * replies back until half-close makes this time out (and cancel) rather than
 * hang. The deadline defaults to 5 s here. Never rejects.
 */
export async function bidiPingPong(
  client: GreeterClient,
  requests: readonly HelloRequest[],
  options: PingPongOptions = {},
): Promise<PingPongResult> {
  const result: PingPongResult = { ...emptyResult(), sent: 0, timedOut: false };
  const call = client.SayHelloBidirectional(
    options.metadata ?? new grpc.Metadata(),
    callOptions({ deadlineMs: 5000, ...options }),
  );
  const inbox: string[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  call.on("data", (reply) => {
    inbox.push(reply.message);
    wake?.();
  });
  call.on("error", () => {}); // the status event carries it
  const status = track(call, result).then((r) => {
    finished = true;
    wake?.();
    return r;
  });
  const next = (): Promise<string | undefined> => {
    if (inbox.length > 0 || finished) return Promise.resolve(inbox.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve(undefined);
      }, options.replyTimeoutMs ?? 2000);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve(inbox.shift());
      };
    });
  };

  for (const request of requests) {
    if (finished) break;
    call.write(request);
    result.sent++;
    const reply = await next();
    if (reply !== undefined) {
      result.messages.push(reply);
    } else if (!finished) {
      result.timedOut = true;
      call.cancel();
      break;
    }
  }
  if (!options.keepOpen && !result.timedOut) call.end();
  await status;
  result.messages.push(...inbox.splice(0));
  return result;
}

/** The first reply of an open stream, or `undefined` if it ended first. */
export function firstReply(
  call: grpc.ClientReadableStream<{ message: string }>,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    call.once("data", (reply: { message: string }) => resolve(reply.message));
    call.once("status", () => resolve(undefined));
  });
}

/** The final status of a call, as a promise. */
export function statusOf(call: CallEvents): Promise<grpc.StatusObject> {
  return new Promise((resolve) => call.on("status", resolve));
}

/**
 * Runs one call of `kind` carrying `names` (the first name for the
 * single-request kinds) and returns its outcome. Bidi calls are ping-pong
 * ({@linkcode bidiPingPong}).
 */
export function callKind(
  client: GreeterClient,
  kind: RpcKind,
  names: readonly string[],
  options: CallOptions = {},
): Promise<CallResult> {
  switch (kind) {
    case "unary":
      return unary(client, { name: names[0] }, options);
    case "server-stream":
      return serverStream(client, { name: names[0] }, options);
    case "client-stream":
      return clientStream(client, names.map((name) => ({ name })), options);
    case "bidi":
      return bidiPingPong(client, names.map((name) => ({ name })), options);
  }
}
