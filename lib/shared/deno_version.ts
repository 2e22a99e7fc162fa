/**
 * Start-up guard against Deno releases known to break gRPC.
 *
 * @module
 */

/** Outcome of {@linkcode checkDenoVersion}. */
export interface DenoVersionVerdict {
  /** `ok` runs; `refuse` must not run unless overridden; `warn` is untested. */
  readonly verdict: "ok" | "warn" | "refuse";
  /** One line for the operator; empty when `ok`. */
  readonly message: string;
}

/** Releases that abort inside nghttp2 on any received GOAWAY (denoland/deno#36788). */
const GOAWAY_ABORT = new Set(["2.9.4", "2.9.5", "2.9.6"]);

/**
 * Judges a Deno version string (`Deno.version.deno`).
 *
 * - 2.9.4 to 2.9.6 abort inside nghttp2 whenever they receive an HTTP/2 GOAWAY
 *   (a client closing its channel, a server shutting down): refused.
 * - Before 2.7, grpc-js cannot serve at all: refused.
 * - 2.7.x to 2.9.3 held a full stress matrix: ok.
 * - Anything newer is untested here: a warning.
 */
export function checkDenoVersion(version: string): DenoVersionVerdict {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) {
    return { verdict: "warn", message: `unrecognised Deno version ${version}; untested` };
  }
  const [major, minor, patch] = match.slice(1).map(Number);
  const core = `${major}.${minor}.${patch}`;
  if (GOAWAY_ABORT.has(core)) {
    return {
      verdict: "refuse",
      message: `Deno ${version} aborts inside nghttp2 on any HTTP/2 GOAWAY ` +
        `(denoland/deno#36788): use Deno 2.9.3 (see .tool-versions), ` +
        `or pass --allow-unsupported-deno to run anyway`,
    };
  }
  if (major < 2 || (major === 2 && minor < 7)) {
    return {
      verdict: "refuse",
      message: `Deno ${version} cannot serve grpc-js reliably: use Deno 2.9.3 ` +
        `(see .tool-versions), or pass --allow-unsupported-deno to run anyway`,
    };
  }
  if (major > 2 || minor > 9) {
    return {
      verdict: "warn",
      message: `Deno ${version} is newer than the releases this server was tested on ` +
        `(2.7.14 to 2.9.3); 2.9.4-2.9.6 crashed on GOAWAY (denoland/deno#36788)`,
    };
  }
  return { verdict: "ok", message: "" };
}
