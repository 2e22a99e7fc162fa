/**
 * The independent Python peers (`tests/interop/`) need Debian's Python gRPC
 * packages. On a developer machine without them those tests are skipped, and
 * their name says why; in CI (`CI=true`, which `.ci/run` sets) they are
 * required, and a missing package fails them.
 *
 * @module
 */
import assert from "node:assert/strict";

/** The interpreter the Python peers run on (Debian's, where the packages install). */
export const PYTHON = "/usr/bin/python3";
/** The Debian packages the Python peers import. */
export const PYTHON_PACKAGES = "python3-grpcio python3-protobuf python3-jwt";

/** Why the Python peers cannot run here, or `undefined` when they can (probed once, at load). */
export const pythonMissing: string | undefined = probe();

function probe(): string | undefined {
  try {
    const { success } = new Deno.Command(PYTHON, {
      args: ["-c", "import grpc, google.protobuf, jwt"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success ? undefined : `needs ${PYTHON} with Debian packages ${PYTHON_PACKAGES}`;
  } catch {
    return `needs ${PYTHON} (not found) with Debian packages ${PYTHON_PACKAGES}`;
  }
}

/** Whether the environment says this is CI (`CI=true` or `CI=1`). */
export function inCi(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): boolean {
  return ["true", "1"].includes((env("CI") ?? "").toLowerCase());
}

/**
 * A test that runs a Python peer: skipped, with the reason in its name, when
 * `missing` is set outside CI; in CI a missing peer fails the test with the
 * reason.
 */
export function pythonPeerTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
  missing: string | undefined = pythonMissing,
  ci: boolean = inCi(),
): Deno.TestDefinition {
  if (missing === undefined) return { name, fn };
  if (!ci) return { name: `${name} SKIPPED: ${missing} (required in CI)`, ignore: true, fn };
  return { name, fn: () => assert.fail(`${missing}; CI requires them`) };
}
