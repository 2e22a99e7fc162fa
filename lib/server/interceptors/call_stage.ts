/**
 * Call stages: the server's interceptors written as plain hooks, run by one
 * grpc-js interceptor for the whole chain.
 *
 * grpc-js makes every interceptor a layer of its own: per call and layer, a
 * `ServerInterceptingCall`, a listener wrapper and a closure for each event
 * that passes. Measured side by side on the unary bench, each layer with
 * listener hooks cost about 2-3 % of a call's server CPU, whatever the hooks
 * did (BENCHMARKS.md). A {@linkcode CallStage} is only the hooks, and
 * {@linkcode composeCallStages} runs any number of them in one layer, in the
 * order grpc-js would have run the same stages as separate interceptors:
 *
 * - incoming metadata goes through the stages first to last (nearest the
 *   network first); a stage may pass it on later (after an asynchronous
 *   check) or never (it ended the call);
 * - incoming messages go through the stages first to last, and only after
 *   every stage passed the metadata on (grpc-js reads none before that; one
 *   that came earlier would be held until then);
 * - outgoing headers, messages and the status go through the stages last to
 *   first;
 * - a stage that ends the call itself (`end`) sends its status through the
 *   stages nearer the network only, as an interceptor calling its next call
 *   would.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";

/** A status as grpc-js sends it: code, details and optional trailers. */
export type CallStatus = Parameters<grpc.ServerInterceptingCallInterface["sendStatus"]>[0];

/** What a stage does during one call; every hook is optional. */
export interface CallHooks {
  /**
   * The request metadata arrived: call `next` (now or later) to let the call
   * go on, or end it with the stage's `end` instead.
   */
  onReceiveMetadata?(metadata: grpc.Metadata, next: (metadata: grpc.Metadata) => void): void;
  /** A request message arrived (observe only). */
  onReceiveMessage?(message: unknown): void;
  /** The call ended without a status passing through the stages (cancel, reset, deadline). */
  onCancel?(): void;
  /**
   * Response headers are about to be sent: add to them in place, or return
   * the headers to send instead.
   */
  sendMetadata?(headers: grpc.Metadata): grpc.Metadata | void;
  /** A response message is about to be sent (observe only). */
  sendMessage?(message: unknown): void;
  /** The status is about to be sent; return a replacement, or nothing to keep it. */
  sendStatus?(status: CallStatus): CallStatus | void;
}

/**
 * One stage: given the method and grpc-js's call nearest the network (peer,
 * deadline, HTTP/2 stream), the hooks for this call, or `undefined` to stay
 * out of it. `end` ends the call with a status, seen by the stages nearer the
 * network only.
 */
export type CallStage = (
  method: grpc.ServerMethodDefinition<unknown, unknown>,
  call: grpc.ServerInterceptingCallInterface,
  end: (status: CallStatus) => void,
) => CallHooks | undefined;

/** A grpc-js interceptor running stages, with their names. */
export interface StagesInterceptor extends grpc.ServerInterceptor {
  /** The names given to {@linkcode composeCallStages}, first nearest the network. */
  readonly stages: readonly string[];
}

/**
 * Runs `stages` (first nearest the network) as one grpc-js interceptor.
 *
 * @param stages the stages, by name, in order
 * @returns the interceptor, for `new grpc.Server({ interceptors: [it] })`
 *
 * @example
 * ```ts
 * const countMessages: CallStage = () => {
 *   let messages = 0;
 *   return { onReceiveMessage: () => void messages++ };
 * };
 * const server = new grpc.Server({
 *   interceptors: [composeCallStages([["count", countMessages]])],
 * });
 * ```
 */
export function composeCallStages(
  stages: readonly (readonly [name: string, stage: CallStage])[],
): StagesInterceptor {
  const builders = stages.map(([, stage]) => stage);
  const interceptor = (
    method: grpc.ServerMethodDefinition<unknown, unknown>,
    call: grpc.ServerInterceptingCallInterface,
  ) => new StagedCall(builders, method, call).intercepting;
  return Object.assign(interceptor, { stages: stages.map(([name]) => name) });
}

/** One call through the stages: their hooks and whether the metadata got through. */
class StagedCall {
  readonly hooks: (CallHooks | undefined)[];
  readonly intercepting: grpc.ServerInterceptingCall;
  /** Every stage has passed the metadata on. */
  admitted = false;
  /** A request message that came before, held until then. */
  held: unknown = undefined;
  heldNext: ((message: unknown) => void) | undefined = undefined;
  metadataNext: ((metadata: grpc.Metadata) => void) | undefined = undefined;

  constructor(
    builders: readonly CallStage[],
    method: grpc.ServerMethodDefinition<unknown, unknown>,
    call: grpc.ServerInterceptingCallInterface,
  ) {
    this.hooks = builders.map((stage, index) =>
      stage(method, call, (status) => call.sendStatus(this.statusThrough(index, status)))
    );
    this.intercepting = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, next) => {
            this.metadataNext = next;
            this.passMetadata(0, metadata);
          },
          onReceiveMessage: (message, next) => {
            if (this.admitted) this.receiveMessage(message, next);
            else {
              this.held = message;
              this.heldNext = next;
            }
          },
          onCancel: () => {
            for (const hooks of this.hooks) hooks?.onCancel?.();
          },
        }),
      sendMetadata: (headers, next) => {
        for (let i = this.hooks.length - 1; i >= 0; i--) {
          headers = this.hooks[i]?.sendMetadata?.(headers) ?? headers;
        }
        next(headers);
      },
      sendMessage: (message, next) => {
        for (let i = this.hooks.length - 1; i >= 0; i--) this.hooks[i]?.sendMessage?.(message);
        next(message);
      },
      sendStatus: (status, next) => next(this.statusThrough(this.hooks.length, status)),
    });
  }

  /** `status` after the hooks of the stages before `from`, last to first. */
  statusThrough(from: number, status: CallStatus): CallStatus {
    for (let i = from - 1; i >= 0; i--) status = this.hooks[i]?.sendStatus?.(status) ?? status;
    return status;
  }

  /** Offers the metadata to stage `index` and on; the handler gets it after the last. */
  passMetadata(index: number, metadata: grpc.Metadata): void {
    const hooks = this.hooks;
    while (index < hooks.length && hooks[index]?.onReceiveMetadata === undefined) index++;
    if (index < hooks.length) {
      hooks[index]!.onReceiveMetadata!(metadata, (passed) => this.passMetadata(index + 1, passed));
      return;
    }
    this.admitted = true;
    this.metadataNext!(metadata);
    const next = this.heldNext;
    if (next !== undefined) {
      this.heldNext = undefined;
      this.receiveMessage(this.held, next);
      this.held = undefined;
    }
  }

  receiveMessage(message: unknown, next: (message: unknown) => void): void {
    for (const hooks of this.hooks) hooks?.onReceiveMessage?.(message);
    next(message);
  }
}
