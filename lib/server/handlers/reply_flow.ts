/**
 * Flow control for replies the client has not read yet, in the handlers'
 * write path.
 *
 * Why here and not in HTTP/2: on Deno 2.9.3 the `node:http2` server stream
 * takes every write at once (its write callback and `drain` fire whatever the
 * peer's window) and queues what the window does not allow, without bound. The
 * only real progress signal it exposes is per connection: the bytes its
 * socket has written. So the bound is kept per connection, from what the
 * adapter handed to the calls of that connection minus what the socket wrote
 * since (BENCHMARKS.md, "Replies held for clients that never read"):
 *
 * - a streaming handler waits while its connection holds more than
 *   `connectionBytes` of replies not yet written (so each call holds at most
 *   that, plus one reply per writer);
 * - it also waits while all connections together hold more than `totalBytes`;
 * - a waiting call whose connection holds replies and has written nothing
 *   for `stallMs` ends: `RESOURCE_EXHAUSTED`, and its HTTP/2 stream is reset
 *   so the queued replies are dropped (the client sees `RESOURCE_EXHAUSTED`
 *   too). A call waiting only for the total, on a connection that holds
 *   nothing, waits on: the stalled calls elsewhere make room.
 *
 * What it cannot do on 2.9.3: tell which stream of a connection is not read.
 * Streams sharing a connection with one that is never read wait with it, and
 * may end with it after `stallMs`.
 *
 * @module
 */
import * as http2 from "node:http2";
import {
  DEFAULT_REPLY_BUFFER_BYTES,
  DEFAULT_REPLY_BUFFER_TOTAL_BYTES,
  DEFAULT_REPLY_STALL_MS,
} from "../../shared/defaults.ts";

/** Options for {@linkcode createReplyFlow}. */
export interface ReplyFlowOptions {
  /** Reply bytes a connection may hold for its client before writers wait. @default 1 MiB */
  connectionBytes?: number;
  /** Reply bytes all connections together may hold before writers wait. @default 64 MiB */
  totalBytes?: number;
  /** A call waiting this long without its connection writing ends, in ms; 0: never. @default 30000 */
  stallMs?: number;
  /**
   * Longest time between two looks at the connections while calls wait, in
   * ms: they look again after 1 ms while bytes move, backing off to this
   * while none do. @default 50
   */
  pollMs?: number;
  /** The clock, in ms. @default performance.now */
  now?: () => number;
}

/** The socket counters read (Node's `net.Socket`). */
interface CountingSocket {
  readonly bytesWritten?: number;
  readonly writableLength?: number;
  readonly destroyed?: boolean;
}

/** One connection's account: what the adapter handed, what the socket wrote. */
interface Ledger {
  readonly socket: CountingSocket;
  /** Reply bytes handed to the connection's streams. */
  handed: number;
  /** Socket bytes written when `handed` was last in step with it. */
  base: number;
  /** Last socket count read. */
  written: number;
  /** Held estimate: `handed - (written - base)`, at least 0. */
  held: number;
  /** When the socket last wrote more. */
  progressAt: number;
  /** Waiting calls. */
  readonly waiters: Set<Waiter>;
}

interface Waiter {
  readonly since: number;
  readonly resume: (ok: boolean) => void;
}

/** One streaming call's writer, from {@linkcode ReplyFlow.open}. */
export interface ReplyLane {
  /**
   * Accounts for `bytes` just written. Returns `undefined` when the call may
   * write on, or a promise to await first: `true` when it may go on, `false`
   * when it has stalled and must end.
   */
  wrote(bytes: number): Promise<boolean> | undefined;
  /** The call's HTTP/2 stream, when found (to reset a stalled call). */
  readonly stream: http2.ServerHttp2Stream | undefined;
}

/** The server-wide account, shared by all streaming calls. */
export interface ReplyFlow {
  /** A lane for the call on `stream` (no bound when the stream is not known). */
  open(stream: http2.ServerHttp2Stream | undefined): ReplyLane;
  /** Reply bytes held over all connections, as last measured. */
  heldBytes(): number;
}

const UNBOUNDED: ReplyLane = { wrote: () => undefined, stream: undefined };

/** Bytes the socket has written, or Infinity once it is gone. */
function socketWritten(socket: CountingSocket): number {
  try {
    if (socket.destroyed) return Infinity;
    // bytesWritten counts what is still queued in the socket: that is held too.
    return (socket.bytesWritten ?? 0) - (socket.writableLength ?? 0);
  } catch {
    // The session's socket proxy throws once the session has let it go.
    return Infinity;
  }
}

/**
 * Builds the server-wide reply account.
 *
 * @example
 * ```ts
 * const flow = createReplyFlow({ connectionBytes: 1 << 20, stallMs: 30_000 });
 * const lane = flow.open(http2Stream);
 * const wait = lane.wrote(bytes);
 * if (wait !== undefined && !(await wait)) endTheCall();
 * ```
 */
export function createReplyFlow(options: ReplyFlowOptions = {}): ReplyFlow {
  const connectionBytes = options.connectionBytes ?? DEFAULT_REPLY_BUFFER_BYTES;
  const totalBytes = options.totalBytes ?? DEFAULT_REPLY_BUFFER_TOTAL_BYTES;
  const stallMs = options.stallMs ?? DEFAULT_REPLY_STALL_MS;
  const maxPollMs = options.pollMs ?? 50;
  const now = options.now ?? (() => performance.now());
  const ledgers = new WeakMap<object, Ledger>();
  /** Ledgers whose `held` is above 0: the only ones `total` counts. */
  const holding = new Set<Ledger>();
  /** Ledgers with waiting calls. */
  const waiting = new Set<Ledger>();
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = 1;

  /** Reads the socket and brings `held` (and `total`) up to date. */
  function refresh(ledger: Ledger, at: number): void {
    const written = socketWritten(ledger.socket);
    if (written > ledger.written) {
      ledger.written = written;
      ledger.progressAt = at;
    }
    let held = ledger.handed - (written - ledger.base);
    if (!(held > 0)) {
      // Everything handed has left (or the socket is gone): rebase, so bytes the
      // socket wrote for others (headers, unary replies) are no credit later.
      ledger.base = written === Infinity ? 0 : written;
      ledger.handed = 0;
      held = 0;
    }
    total += held - ledger.held;
    ledger.held = held;
    if (held > 0) holding.add(ledger);
    else holding.delete(ledger);
  }

  function mayWrite(ledger: Ledger): boolean {
    return ledger.held <= connectionBytes && total <= totalBytes;
  }

  /** One look at the connections; true when a waiting one wrote more. */
  function poll(): boolean {
    const at = now();
    let moved = false;
    for (const ledger of holding) refresh(ledger, at);
    for (const ledger of waiting) {
      if (!holding.has(ledger)) refresh(ledger, at);
      if (ledger.progressAt === at) moved = true;
      for (const waiter of ledger.waiters) {
        if (mayWrite(ledger)) {
          ledger.waiters.delete(waiter);
          waiter.resume(true);
        } else if (
          // Stalled: its own connection holds replies and has written nothing
          // for stallMs. A call that only waits for the total, on a connection
          // with nothing held, waits on: the stalled ones will make room.
          stallMs > 0 && ledger.held > 0 &&
          at - Math.max(waiter.since, ledger.progressAt) >= stallMs
        ) {
          ledger.waiters.delete(waiter);
          waiter.resume(false);
        }
      }
      if (ledger.waiters.size === 0) waiting.delete(ledger);
    }
    return moved;
  }

  /** Polls while calls wait: every 1 ms while bytes move, backing off to maxPollMs. */
  function tick(): void {
    timer = undefined;
    const moved = poll();
    if (waiting.size === 0) return;
    delay = moved ? 1 : Math.min(delay * 2, maxPollMs);
    timer = setTimeout(tick, delay);
  }

  function wait(ledger: Ledger, lane: { waiter?: Waiter }): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        since: now(),
        resume(ok) {
          lane.waiter = undefined;
          resolve(ok);
        },
      };
      lane.waiter = waiter;
      ledger.waiters.add(waiter);
      waiting.add(ledger);
      if (timer === undefined) {
        delay = 1;
        timer = setTimeout(tick, delay);
      }
    });
  }

  return {
    open(stream) {
      const socket = stream?.session?.socket as CountingSocket | undefined;
      if (stream === undefined || socket === undefined) return UNBOUNDED;
      const session = stream.session!;
      let ledger = ledgers.get(session);
      if (ledger === undefined) {
        const written = socketWritten(socket);
        ledger = {
          socket,
          handed: 0,
          base: written,
          written,
          held: 0,
          progressAt: now(),
          waiters: new Set(),
        };
        ledgers.set(session, ledger);
      }
      const account = ledger;
      const lane: { waiter?: Waiter } = {};
      let mine = 0;
      // A stream reset before its replies left drops them: take them off the
      // account (at most what this call handed and what the connection holds).
      // Either way the account is brought up to date, so a connection that is
      // gone or has nothing left leaves the server-wide set.
      stream.once("close", () => {
        if (lane.waiter !== undefined) {
          account.waiters.delete(lane.waiter);
          lane.waiter.resume(false);
        }
        refresh(account, now());
        if (stream.rstCode === http2.constants.NGHTTP2_NO_ERROR && stream.sentTrailers) return;
        account.handed -= Math.min(mine, account.held);
        refresh(account, now());
      });
      return {
        stream,
        wrote(bytes) {
          mine += bytes;
          account.handed += bytes;
          account.held += bytes;
          total += bytes;
          if (account.held === bytes) holding.add(account);
          if (mayWrite(account)) return undefined;
          const at = now();
          refresh(account, at);
          if (total > totalBytes) { for (const ledger of holding) refresh(ledger, at); }
          return mayWrite(account) ? undefined : wait(account, lane);
        },
      };
    },
    heldBytes: () => total,
  };
}
