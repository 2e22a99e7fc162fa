/**
 * The README's main command on a fresh clone: `deno task demo` must create
 * the development material, serve, run the scenarios and stop. Run on a copy
 * of the tracked files, so nothing generated before can help it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function freshCopy(): Promise<string> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z"],
    cwd: ROOT,
    stdout: "piped",
  })
    .output();
  assert.ok(listed.success, "git ls-files failed");
  const dir = await Deno.makeTempDir({ prefix: "greeter-fresh-" });
  for (const path of new TextDecoder().decode(listed.stdout).split("\0").filter(Boolean)) {
    const target = `${dir}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}${path}`, target);
  }
  return dir;
}

Deno.test("deno task demo works on a fresh clone: generates material, serves, passes, stops", async () => {
  const dir = await freshCopy();
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "demo",
        "--only",
        "unary-valid-token,bidi-ping-pong-valid-token,health-check-serving-without-token",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `stdout:\n${out}\nstderr:\n${err}`);
    assert.match(out, /^3 passed, 0 failed$/m);
    assert.match(err, /generated development certificates/);
    assert.match(err, /server stopped \(graceful/);
    await Deno.stat(`${dir}/certs/ca.pem`);
    await Deno.stat(`${dir}/.greeter/jwt-secret`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
