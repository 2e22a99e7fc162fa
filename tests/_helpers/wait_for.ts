/**
 * Polling for a condition that becomes true in the background, such as a log
 * line written after a call ended.
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
