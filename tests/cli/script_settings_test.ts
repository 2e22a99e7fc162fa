/**
 * A script's whole command line in one call: values, `--help`, and one line
 * with exit code 2 for a mistake.
 *
 * @module
 */
import assert from "node:assert/strict";
import { checkoutRootSetting, readScriptSettings } from "../../lib/cli/script_settings.ts";
import type { SettingsTable } from "../../lib/cli/settings.ts";

const TABLE = {
  rounds: { flag: "rounds", kind: "int", min: 1, default: 5, help: "rounds" },
  duration: { flag: "duration", kind: "duration", default: 3000, help: "window" },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const values = readScriptSettings(TABLE, args, "demo [flags]", {
      stdout: (text) => out.push(text),
      stderr: (line) => err.push(line),
      exit: (code) => {
        throw new Exit(code);
      },
    });
    return { values, code: undefined, out, err };
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    return { values: undefined, code: error.code, out, err };
  }
}

const CASES: {
  name: string;
  args: string[];
  code?: number;
  values?: object;
  out?: RegExp;
  err?: RegExp;
}[] = [
  { name: "no flags give the defaults", args: [], values: { rounds: 5, duration: 3000 } },
  { name: "--duration 4s is four seconds", args: ["--duration", "4s"], values: { duration: 4000 } },
  { name: "--rounds=2 sets two rounds", args: ["--rounds=2"], values: { rounds: 2 } },
  {
    name: "--help prints the usage and exits 0",
    args: ["--help"],
    code: 0,
    out: /^Usage: demo \[flags\]\n\n {2}--rounds N +rounds \(default 5\)\n/,
  },
  {
    name: "a bad duration prints one line and exits 2",
    args: ["--duration", "4x"],
    code: 2,
    err: /^error: --duration must be a positive duration like 10s, 500ms or 2m, got "4x"$/,
  },
  {
    name: "an unknown flag prints one line and exits 2",
    args: ["--round", "1"],
    code: 2,
    err: /^error: unknown flag --round \(see --help\); did you mean --rounds\?$/,
  },
];

for (const c of CASES) {
  Deno.test(`readScriptSettings: ${c.name}`, () => {
    const result = run(c.args);
    assert.equal(result.code, c.code);
    for (const [key, value] of Object.entries(c.values ?? {})) {
      assert.equal(result.values?.[key as keyof typeof result.values], value, key);
    }
    if (c.out) assert.match(result.out.join(""), c.out);
    if (c.err) {
      assert.equal(result.err.length, 1);
      assert.match(result.err[0], c.err);
    }
  });
}

Deno.test("the --root setting defaults to this checkout and takes another one", async (t) => {
  const table = {
    root: checkoutRootSetting("checkout to measure"),
  } as const satisfies SettingsTable;
  const cases = [
    { name: "with no flag, this checkout (where main.ts is)", args: [], main: true },
    { name: "with --root, that directory", args: ["--root", "/tmp/elsewhere"], main: false },
  ];
  for (const { name, args, main } of cases) {
    await t.step(name, async () => {
      const { root } = readScriptSettings(table, args, "test");
      if (main) assert.ok((await Deno.stat(`${root}/main.ts`)).isFile, root);
      else assert.equal(root, "/tmp/elsewhere");
    });
  }
});
