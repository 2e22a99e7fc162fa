/**
 * Incoming messages of a grpc-js server call as an async iterable.
 *
 * Node's own `Readable[Symbol.asyncIterator]` destroys the stream when the
 * consumer stops early (a handler throwing on an invalid message), which
 * swallows the status the error boundary then tries to send; it also does not
 * report the call's cancellation. This iterator only listens: stopping early
 * leaves the call to the boundary, and a cancelled call ends the iteration.
 *
 * @module
 */
import type { EventEmitter } from "node:events";

/** The parts of a readable server call this module uses. */
export interface ReadableCall extends EventEmitter {
  /** Stops delivering messages (flow control holds the rest). */
  pause(): unknown;
  /** Delivers messages again. */
  resume(): unknown;
}

/** Messages held before the call is paused (HTTP/2 flow control then holds the rest). */
const HIGH_WATER = 16;

/** Yields each message as it arrives, until the client half-closes or the call ends. */
export function requestsOf<T>(call: ReadableCall): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let finished = false;
      let failure: unknown;
      let wake: (() => void) | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      const onData = (message: T) => {
        queue.push(message);
        if (queue.length >= HIGH_WATER) call.pause();
        notify();
      };
      const onEnd = () => {
        finished = true;
        notify();
      };
      const onError = (error: unknown) => {
        failure = error;
        onEnd();
      };
      const detach = () => {
        call.off("data", onData);
        call.off("end", onEnd);
        call.off("cancelled", onEnd);
        call.off("error", onError);
      };
      call.on("data", onData);
      call.on("end", onEnd);
      call.on("cancelled", onEnd);
      call.on("error", onError);
      return {
        async next(): Promise<IteratorResult<T>> {
          while (queue.length === 0 && !finished) {
            await new Promise<void>((resolve) => (wake = resolve));
          }
          if (queue.length > 0) {
            const value = queue.shift()!;
            if (queue.length < HIGH_WATER / 2) call.resume();
            return { value, done: false };
          }
          detach();
          if (failure !== undefined) throw failure;
          return { value: undefined, done: true };
        },
        return(): Promise<IteratorResult<T>> {
          detach();
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}
