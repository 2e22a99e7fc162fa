/**
 * The client as a user runs it, for tests: `client.ts` under its permission
 * set (`-P=client`, plus read access for test files) in a child process.
 *
 * @module
 */
import { hermeticEnv, ROOT } from "./spawn_main.ts";

/** What {@linkcode runClient} resolves to. */
export interface ClientRun {
  /** Exit code. */
  code: number;
  /** Standard output, decoded. */
  stdout: string;
  /** Standard error, decoded. */
  stderr: string;
}

/**
 * Runs `client.ts` with `args` from the project's root, to its end.
 *
 * @param args the client's command and flags
 * @param env environment over the caller's without its GREETER_* and GRPC_* settings
 * @returns its exit code and output
 *
 * @example
 * ```ts
 * const run = await runClient(["basic", "--target", `localhost:${port}`, "--ca", ca], {
 *   GREETER_JWT_SECRET: secret,
 * });
 * assert.equal(run.code, 0, run.stderr);
 * ```
 */
export async function runClient(
  args: string[],
  env: Record<string, string> = {},
): Promise<ClientRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=client", "--allow-read", "client.ts", ...args],
    cwd: ROOT,
    clearEnv: true,
    env: { ...hermeticEnv(), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}
