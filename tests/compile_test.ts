/**
 * `deno compile` needs Deno's `denort` runtime, which it downloads unless
 * `DENORT_BIN` names a local copy. Machines without internet set nothing, so
 * this test builds and runs the single binary only where `DENORT_BIN` is set,
 * and says so when it skips.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const denort = Deno.env.get("DENORT_BIN");

Deno.test({
  name: denort
    ? "deno compile builds one server binary with the protos embedded"
    : "deno compile check SKIPPED: set DENORT_BIN to a denort binary to build the single binary",
  ignore: !denort,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const output = `${dir}/greeter`;
      // Build exactly what `deno task compile` builds, into a temporary path.
      const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
      const task: string = config.tasks.compile;
      assert.ok(task.includes("--output dist/greeter"), task);
      const args = task.replace("--output dist/greeter", `--output ${output}`).split(" ").slice(1);
      const build = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      // Run it from elsewhere: nothing may depend on the working directory.
      const run = await new Deno.Command(output, { args: ["--help"], cwd: dir, stdout: "piped" })
        .output();
      assert.equal(run.code, 0);
      assert.match(new TextDecoder().decode(run.stdout), /GREETER_TLS_CERT/);
      const bad = await new Deno.Command(output, { args: ["--nope"], cwd: dir, stderr: "piped" })
        .output();
      assert.equal(bad.code, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
