/**
 * How entries report configuration mistakes: one line and exit code 2 for a
 * `ConfigError`, the stack for anything else; checked in process and on the
 * bench scripts as real processes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigError, EXIT_CONFIG, runEntry } from "../../lib/cli/config_error.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("runEntry turns a ConfigError into one line on stderr and exit code 2", async () => {
  const lines: string[] = [];
  const code = await runEntry(() => {
    throw new ConfigError('--rounds must be a positive whole number, got "x"');
  }, { stderr: (line) => lines.push(line) });
  assert.equal(code, EXIT_CONFIG);
  assert.deepEqual(lines, ['error: --rounds must be a positive whole number, got "x"']);
});

Deno.test("runEntry rethrows any other error unchanged, so a bug keeps its stack", async () => {
  const bug = new TypeError("x is undefined");
  await assert.rejects(runEntry(() => Promise.reject(bug), { stderr: () => {} }), (error) => {
    assert.equal(error, bug);
    return true;
  });
});

Deno.test("runEntry passes the body's exit code through, and 0 when it returns none", async () => {
  assert.equal(await runEntry(() => 1), 1);
  assert.equal(await runEntry(async () => {}), 0);
});

const SCRIPTS: { name: string; args: string[]; line: RegExp }[] = [
  {
    name: "a comparison script given --duration 4x",
    args: ["scripts/bench_overhead.ts", "--duration", "4x"],
    line: /^error: --duration must be a positive duration like 10s, 500ms or 2m, got "4x"$/,
  },
  {
    name: "a comparison script given an unknown flag",
    args: ["scripts/bench_auth_cache.ts", "--round", "3"],
    line: /^error: unknown flag --round \(see --help\); did you mean --rounds\?$/,
  },
  {
    name: "the streams-memory script given a hold that is not a duration",
    args: ["scripts/bench_streams_memory.ts", "--hold=long"],
    line: /^error: --hold must be a duration like 10s, 500ms or 2m, got "long"$/,
  },
  {
    name: "the log-sink script given zero rounds",
    args: ["scripts/bench_log_sink.ts", "--rounds", "0"],
    line: /^error: --rounds must be a positive whole number, got "0"$/,
  },
];

for (const c of SCRIPTS) {
  Deno.test(`${c.name} prints one line and exits with code 2`, async () => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-A", ...c.args],
      cwd: ROOT,
      stdin: "null",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 2, err);
    assert.equal(new TextDecoder().decode(stdout), "");
    assert.equal(err.trimEnd().split("\n").length, 1, `one line, got:\n${err}`);
    assert.match(err.trimEnd(), c.line);
  });
}
