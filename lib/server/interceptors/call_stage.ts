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
import type * as grpc from "@grpc/grpc-js";
import { freshResponseHeaders } from "../never_indexed_metadata.ts";

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
  ) =>
    // grpc-js's `ServerInterceptor` type names its class as the result, but
    // grpc-js only calls what `ServerInterceptingCallInterface` declares (its
    // `getServerInterceptingCall` returns that interface), which StagedCall is.
    new StagedCall(builders, method, call) as unknown as grpc.ServerInterceptingCall;
  return Object.assign(interceptor, { stages: stages.map(([name]) => name) });
}

/** What grpc-js hands a call's `start`: the events going up to the handler. */
type CallListener = Parameters<grpc.ServerInterceptingCallInterface["start"]>[0];

/**
 * One call through the stages, and grpc-js's intercepting call for it: this
 * one object is both the call the layers above (the handler) talk to and the
 * listener the call below (nearest the network) reports to, with its methods
 * on the prototype. grpc-js's own `ServerInterceptingCall` would add a
 * responder, a listener wrapper and a closure per event on top of the stages'
 * hooks; measured in process, that layer allocated about 2 KB a call.
 *
 * Like grpc-js's layer, it holds a request message and the half-close that
 * arrive before every stage has passed the metadata on, ignores the request
 * side once the call is cancelled, and sends empty headers first when a
 * message goes out before any.
 */
class StagedCall implements grpc.ServerInterceptingCallInterface, CallListener {
  readonly hooks: (CallHooks | undefined)[];
  /** The layer above: the handler's side. */
  listener: CallListener | undefined = undefined;
  /** Every stage has passed the metadata on. */
  admitted = false;
  cancelled = false;
  headersSent = false;
  /** A request message and the half-close that came before the metadata got through. */
  held: unknown = undefined;
  hasHeld = false;
  heldHalfClose = false;

  constructor(
    builders: readonly CallStage[],
    method: grpc.ServerMethodDefinition<unknown, unknown>,
    /**
     * The call below, nearer the network. Named as grpc-js names it in its
     * own layers: the adapter, the peer and the sent-status lookups walk the
     * `nextCall`s down to the base call's HTTP/2 stream.
     */
    readonly nextCall: grpc.ServerInterceptingCallInterface,
  ) {
    // A loop, not `map`: no callback closure per call.
    const hooks = new Array<CallHooks | undefined>(builders.length);
    for (let i = 0; i < builders.length; i++) {
      hooks[i] = builders[i](method, nextCall, this.endFrom(i));
    }
    this.hooks = hooks;
  }

  // The handler's side: grpc-js calls these going down to the network.

  start(listener: CallListener): void {
    this.listener = listener;
    this.nextCall.start(this);
  }

  sendMetadata(headers: grpc.Metadata): void {
    this.headersSent = true;
    for (let i = this.hooks.length - 1; i >= 0; i--) {
      headers = this.hooks[i]?.sendMetadata?.(headers) ?? headers;
    }
    this.nextCall.sendMetadata(headers);
  }

  sendMessage(message: unknown, callback: () => void): void {
    if (!this.headersSent) this.sendMetadata(freshResponseHeaders());
    for (let i = this.hooks.length - 1; i >= 0; i--) this.hooks[i]?.sendMessage?.(message);
    this.nextCall.sendMessage(message, callback);
  }

  sendStatus(status: CallStatus): void {
    this.nextCall.sendStatus(this.statusThrough(this.hooks.length, status));
  }

  startRead(): void {
    this.nextCall.startRead();
  }

  getPeer(): string {
    return this.nextCall.getPeer();
  }

  getDeadline(): grpc.Deadline {
    return this.nextCall.getDeadline();
  }

  getHost(): string {
    return this.nextCall.getHost();
  }

  getAuthContext(): ReturnType<grpc.ServerInterceptingCallInterface["getAuthContext"]> {
    return this.nextCall.getAuthContext();
  }

  getConnectionInfo(): ReturnType<grpc.ServerInterceptingCallInterface["getConnectionInfo"]> {
    return this.nextCall.getConnectionInfo();
  }

  getMetricsRecorder(): ReturnType<grpc.ServerInterceptingCallInterface["getMetricsRecorder"]> {
    return this.nextCall.getMetricsRecorder();
  }

  // The network's side: the call below reports these going up to the handler.

  onReceiveMetadata(metadata: grpc.Metadata): void {
    if (!this.cancelled) this.passMetadata(0, metadata);
  }

  onReceiveMessage(message: unknown): void {
    if (this.cancelled) return;
    if (this.admitted) this.receiveMessage(message);
    else {
      this.held = message;
      this.hasHeld = true;
    }
  }

  onReceiveHalfClose(): void {
    if (this.cancelled) return;
    if (this.admitted) this.listener!.onReceiveHalfClose();
    else this.heldHalfClose = true;
  }

  onCancel(): void {
    this.cancelled = true;
    for (const hooks of this.hooks) hooks?.onCancel?.();
    this.listener!.onCancel();
  }

  /** Stage `index`'s `end`: its status goes through the stages before it only. */
  endFrom(index: number): (status: CallStatus) => void {
    return (status) => this.nextCall.sendStatus(this.statusThrough(index, status));
  }

  /** `status` after the hooks of the stages before `from`, last to first. */
  statusThrough(from: number, status: CallStatus): CallStatus {
    for (let i = from - 1; i >= 0; i--) status = this.hooks[i]?.sendStatus?.(status) ?? status;
    return status;
  }

  /** Offers the metadata to stage `index` and on; the handler gets it after the last. */
  passMetadata(index: number, metadata: grpc.Metadata): void {
    if (this.cancelled) return;
    const hooks = this.hooks;
    while (index < hooks.length && hooks[index]?.onReceiveMetadata === undefined) index++;
    if (index < hooks.length) {
      hooks[index]!.onReceiveMetadata!(metadata, (passed) => this.passMetadata(index + 1, passed));
      return;
    }
    this.admitted = true;
    this.listener!.onReceiveMetadata(metadata);
    if (this.hasHeld) {
      const message = this.held;
      this.held = undefined;
      this.hasHeld = false;
      this.receiveMessage(message);
    }
    if (this.heldHalfClose && !this.cancelled) {
      this.heldHalfClose = false;
      this.listener!.onReceiveHalfClose();
    }
  }

  receiveMessage(message: unknown): void {
    for (const hooks of this.hooks) hooks?.onReceiveMessage?.(message);
    this.listener!.onReceiveMessage(message);
  }
}
