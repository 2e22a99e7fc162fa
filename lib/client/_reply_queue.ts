/**
 * Turns a grpc-js readable call (server stream or bidi) into a pull-based
 * queue: `next()` resolves with the next reply, `undefined` at a clean end,
 * or rejects with the call's error, in the order things happened.
 *
 * grpc-js pushes the end of stream before emitting `error`/`status`, and Node
 * may still hold buffered replies at that moment, so the terminal state is
 * delivered only once both the status and the stream's `end` were seen (or
 * the status is an error and nothing is buffered).
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";

type Waiter<T> = {
  resolve: (value: T | undefined) => void;
  reject: (error: unknown) => void;
};

/** Pull-based view of a readable gRPC call's replies. */
export class ReplyQueue<T> {
  #items: T[] = [];
  #waiters: Waiter<T>[] = [];
  #status: grpc.StatusObject | undefined;
  #error: grpc.ServiceError | undefined;
  #ended = false;
  #settled = false;
  #resolveStatus!: (status: grpc.StatusObject) => void;
  /** The call's final status (OK or not); never rejects. */
  readonly status: Promise<grpc.StatusObject>;

  /**
   * Starts queueing the replies of `stream`.
   * @param stream the grpc-js call to read; listeners are attached at once
   */
  constructor(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>) {
    this.status = new Promise((resolve) => (this.#resolveStatus = resolve));
    stream.on("data", (item: T) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(item);
      else this.#items.push(item);
    });
    stream.on("end", () => {
      this.#ended = true;
      this.#settle();
    });
    stream.on("error", (error: grpc.ServiceError) => {
      this.#error = error;
      this.#settle();
    });
    stream.on("status", (status: grpc.StatusObject) => {
      this.#status = status;
      this.#resolveStatus(status);
      this.#settle();
    });
  }

  /** Replies received but not yet taken. */
  get buffered(): number {
    return this.#items.length;
  }

  /** Resolves with the next reply, or `undefined` after a clean end; rejects with the call's error. */
  next(): Promise<T | undefined> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift());
    if (this.#settled) {
      return this.#error ? Promise.reject(this.#error) : Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Iterates replies until the end; throws the call's error. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    while (true) {
      const item = await this.next();
      if (item === undefined) return;
      yield item;
    }
  }

  #settle(): void {
    if (this.#settled || this.#status === undefined) return;
    const failed = this.#status.code !== 0;
    if (!this.#ended && !(failed && this.#error !== undefined)) return;
    this.#settled = true;
    for (const waiter of this.#waiters.splice(0)) {
      if (this.#error) waiter.reject(this.#error);
      else waiter.resolve(undefined);
    }
  }
}
