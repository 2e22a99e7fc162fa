/**
 * Shutdown signals as an operator means them: one request to drain, however
 * many copies of it arrive, and a deliberate second request to force.
 *
 * One Ctrl-C or one `systemctl stop` often reaches the server more than once:
 * the terminal and systemd (`KillMode=control-group`) signal the whole process
 * group, and `deno task` (like `npx` and shells that trap) forwards its own
 * copy to the child, milliseconds later. So every signal that arrives within
 * `copyWindowMs` of the first is taken as a copy of it; the first one after
 * that window forces. Counting signals would not work: how many copies arrive
 * depends on how many wrappers sit between the operator and the server.
 *
 * The listeners stay registered from the start until disposal: on Deno 2.9.3 a
 * signal that arrives while no listener is registered kills the process at
 * once, without a log line and without draining.
 *
 * @module
 */

/** Signals that ask the server to stop. */
export const SHUTDOWN_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * Default window after the first signal in which further signals are copies
 * of it, in ms. Copies arrive within a few ms; a person pressing Ctrl-C again
 * on purpose takes longer than a second.
 */
export const DEFAULT_COPY_WINDOW_MS = 1000;

/** Where signal listeners are registered (tests pass a fake). */
export interface SignalSource {
  /** Registers `handler` for `signal`. */
  add(signal: Deno.Signal, handler: () => void): void;
  /** Unregisters `handler` for `signal`. */
  remove(signal: Deno.Signal, handler: () => void): void;
}

/** Options for {@linkcode listenForShutdownSignals}. */
export interface ShutdownSignalOptions {
  /** Signals to listen for. @default SHUTDOWN_SIGNALS */
  signals?: readonly Deno.Signal[];
  /** Signals within this many ms of the first are copies of it. @default DEFAULT_COPY_WINDOW_MS */
  copyWindowMs?: number;
  /** Called for each signal taken as a copy of the first, with the ms since the first. */
  onCopy?: (signal: Deno.Signal, sinceFirstMs: number) => void;
  /** Monotonic clock, in ms. @default performance.now */
  now?: () => number;
  /** Where listeners go. @default Deno.addSignalListener / Deno.removeSignalListener */
  source?: SignalSource;
}

/** The shutdown requests of a process. */
export interface ShutdownSignals extends Disposable {
  /** Resolves with the first signal: drain. */
  readonly drain: Promise<Deno.Signal>;
  /** Resolves with the first signal after the copy window: force. Never resolves otherwise. */
  readonly force: Promise<Deno.Signal>;
}

const DENO_SIGNALS: SignalSource = {
  add: (signal, handler) => Deno.addSignalListener(signal, handler),
  remove: (signal, handler) => Deno.removeSignalListener(signal, handler),
};

/**
 * Registers listeners for the shutdown signals now, and keeps them until the
 * result is disposed.
 *
 * @example
 * ```ts
 * using signals = listenForShutdownSignals();
 * await signals.drain;
 * signals.force.then(() => server.forceShutdown());
 * await server.shutdown();
 * ```
 */
export function listenForShutdownSignals(options: ShutdownSignalOptions = {}): ShutdownSignals {
  const signals = options.signals ?? SHUTDOWN_SIGNALS;
  const windowMs = options.copyWindowMs ?? DEFAULT_COPY_WINDOW_MS;
  const now = options.now ?? (() => performance.now());
  const source = options.source ?? DENO_SIGNALS;
  let first: number | undefined;
  let forced = false;
  let drain!: (signal: Deno.Signal) => void;
  let force!: (signal: Deno.Signal) => void;
  const result = {
    drain: new Promise<Deno.Signal>((resolve) => (drain = resolve)),
    force: new Promise<Deno.Signal>((resolve) => (force = resolve)),
  };
  const receive = (signal: Deno.Signal) => {
    const at = now();
    if (first === undefined) {
      first = at;
      drain(signal);
    } else if (at - first < windowMs) {
      options.onCopy?.(signal, Math.round(at - first));
    } else if (!forced) {
      forced = true;
      force(signal);
    }
  };
  const handlers = signals.map((signal) => [signal, () => receive(signal)] as const);
  for (const [signal, handler] of handlers) source.add(signal, handler);
  return {
    ...result,
    [Symbol.dispose]() {
      for (const [signal, handler] of handlers) source.remove(signal, handler);
    },
  };
}
