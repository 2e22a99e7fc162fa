/**
 * Start-up guard that follows the stability matrix (`scripts/stability_matrix.ts`,
 * figures in `docs/RUNTIME.md`): refuse the Deno releases that crashed in it,
 * warn about the ones that leak memory, and warn about the ones never run
 * through it.
 *
 * @module
 */

/** Outcome of {@linkcode checkDenoVersion}. */
export interface DenoVersionVerdict {
  /**
   * `ok` runs; `refuse` crashed in the matrix and must not run unless
   * overridden; `warn` runs with a caveat (a known leak, or never measured).
   */
  readonly verdict: "ok" | "warn" | "refuse";
  /** One line for the operator; empty when `ok`. */
  readonly message: string;
}

/** The release `.tool-versions` pins: the newest one that never crashed in the matrix. */
export const PINNED_DENO = "2.9.3";

/**
 * Releases that aborted in the matrix (nghttp2 `find_stream_on_goaway_func` assertion,
 * `free(): invalid pointer`, SIGSEGV) on receiving an HTTP/2 GOAWAY, as a server (clients
 * closing channels) and as a client (a server closing an idle channel) (denoland/deno#36788).
 * See docs/RUNTIME.md.
 */
const CRASHING = new Set(["2.9.4", "2.9.5", "2.9.6"]);

/**
 * Server memory kept per connection opened and closed, measured on 2.9.3 by case (h) of the
 * matrix (denoland/deno#36043: closed `node:http2` server sessions are never freed).
 */
export const LEAK_KB_PER_CONNECTION = 40;

/**
 * Whether a Deno release keeps the memory of every closed `node:http2` server
 * connection (2.7.0 to 2.9.3, denoland/deno#36043): the releases on which the
 * supervisor recycles workers by default (`GREETER_WORKER_MAX_RSS_MB`).
 *
 * @param version a Deno version such as `2.9.3`
 * @returns true for 2.7.0 to 2.9.3
 *
 * @example
 * ```ts
 * leaksServerMemory("2.9.3"); // true
 * leaksServerMemory("2.9.6"); // false (it crashes instead)
 * ```
 */
export function leaksServerMemory(version: string): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) return false;
  const [major, minor, patch] = match.slice(1).map(Number);
  return major === 2 && minor >= 7 && (minor < 9 || (minor === 9 && patch <= 3));
}

/**
 * Judges a Deno version string (`Deno.version.deno`).
 *
 * - 2.9.4 to 2.9.6 crash (matrix cases a, c, d, f): refused.
 * - Before 2.7, grpc-js cannot serve at all: refused.
 * - 2.7.0 to 2.9.3 hold the matrix but leak server memory for every closed
 *   connection: a warning with the figure.
 * - Anything newer has not been through the matrix: a warning.
 *
 * @param version a Deno version such as `2.9.3`
 * @returns the verdict and a one-line message naming the version
 *
 * @example
 * ```ts
 * const { verdict, message } = checkDenoVersion(Deno.version.deno);
 * if (verdict === "refuse") throw new Error(message);
 * ```
 */
export function checkDenoVersion(version: string): DenoVersionVerdict {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) {
    return { verdict: "warn", message: `unrecognised Deno version ${version}; untested` };
  }
  const [major, minor, patch] = match.slice(1).map(Number);
  const core = `${major}.${minor}.${patch}`;
  if (CRASHING.has(core)) {
    return {
      verdict: "refuse",
      message: `Deno ${version} aborts inside nghttp2 when it receives an HTTP/2 GOAWAY ` +
        `(a peer closing the connection), as a server and as a client (denoland/deno#36788; ` +
        `docs/RUNTIME.md): use Deno ${PINNED_DENO} (see .tool-versions), ` +
        `or pass --allow-unsupported-deno to run anyway`,
    };
  }
  if (major < 2 || (major === 2 && minor < 7)) {
    return {
      verdict: "refuse",
      message: `Deno ${version} cannot serve grpc-js reliably: use Deno ${PINNED_DENO} ` +
        `(see .tool-versions), or pass --allow-unsupported-deno to run anyway`,
    };
  }
  if (major > 2 || minor > 9 || (minor === 9 && patch > 6)) {
    return {
      verdict: "warn",
      message: `Deno ${version} has not been through the stability matrix ` +
        `(2.9.4-2.9.6 crashed in it, denoland/deno#36788); ` +
        `run scripts/stability_matrix.ts before relying on it (docs/RUNTIME.md)`,
    };
  }
  return {
    verdict: "warn",
    message: `Deno ${version} keeps about ${LEAK_KB_PER_CONNECTION} KB of server memory for ` +
      `every connection opened and closed (denoland/deno#36043; the fix in 2.9.4 brought the ` +
      `crash of denoland/deno#36788): reuse channels, and let the supervisor replace the server ` +
      `process before its memory passes GREETER_WORKER_MAX_RSS_MB (docs/RUNTIME.md)`,
  };
}
