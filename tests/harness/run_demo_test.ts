/**
 * The README's main command on a fresh clone: `deno task demo` must create
 * the development material, serve, run the scenarios and stop. Run on a copy
 * of the tracked files, so nothing generated before can help it.
 */
import assert from "node:assert/strict";
import { freshCopy } from "../_helpers/fresh_copy.ts";

Deno.test("deno task demo works on a fresh clone: generates material, serves, passes, stops", async () => {
  const dir = await freshCopy("greeter-fresh-");
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
