/**
 * Bounded waits: polling for a condition that becomes true in the background
 * (such as a log line written after a call ended), and a time limit on any
 * promise.
 *
 * @module
 */

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; throws on timeout. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * `promise`'s outcome, or a rejection naming `what` once `ms` have passed, so
 * no wait on a process, a stream or a call is unbounded.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
