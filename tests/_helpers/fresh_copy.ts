/**
 * A copy of the project's tracked files in a temporary directory: a fresh
 * clone as far as the code can tell, where the development material a test
 * generates touches nothing else and nothing generated before can help it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ROOT } from "./spawn_main.ts";

/**
 * Copies every file `git ls-files` names into a new temporary directory.
 *
 * @param prefix the directory's name prefix
 * @returns the directory; the caller removes it
 *
 * @example
 * ```ts
 * const dir = await freshCopy("greeter-demo-");
 * try { ... } finally { await Deno.remove(dir, { recursive: true }); }
 * ```
 */
export async function freshCopy(prefix: string): Promise<string> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert.ok(listed.success, "git ls-files failed");
  const dir = await Deno.makeTempDir({ prefix });
  for (const path of new TextDecoder().decode(listed.stdout).split("\0").filter(Boolean)) {
    const target = `${dir}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}${path}`, target);
  }
  return dir;
}
