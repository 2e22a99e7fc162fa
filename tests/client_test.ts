/**
 * `client.ts`'s `main`: one error boundary (a user mistake is one line on
 * stderr and exit code 2, a bug keeps its stack), `--list`, `--help`, and a
 * `--junit` file that cannot be written.
 *
 * Nothing here reaches a server: the cases either fail before dialling or
 * select one scenario and skip it (`--only X --skip X`).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type ClientIo, main } from "../client.ts";
import { allScenarios } from "../lib/harness/scenarios/all_scenarios.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Plaintext to a port nobody dials: the cases below never make a call. */
const OFFLINE = ["--insecure", "--target", "127.0.0.1:1"];
const FIRST = allScenarios()[0].name;

/** Captured output plus a record of report files written. */
function capture(overrides: Partial<ClientIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const written: string[] = [];
  const io: ClientIo = {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    writeTextFile: (path) => {
      written.push(path);
      return Promise.resolve();
    },
    queryWrite: () => Promise.resolve({ state: "granted" } as Deno.PermissionStatus),
    ...overrides,
  };
  return { io, out: () => out.join(""), err: () => err.join(""), written };
}

const denied = () => Promise.resolve({ state: "denied" } as Deno.PermissionStatus);

const MISTAKES: {
  name: string;
  args: string[];
  io?: Partial<ClientIo>;
  stderr: RegExp;
  /** Whether the report was printed before the mistake surfaced. @default false */
  reported?: boolean;
}[] = [
  {
    name: "an unknown flag",
    args: ["--frobnicate"],
    stderr: /^client: unknown flag --frobnicate \(see --help\)\n$/,
  },
  {
    name: "--list with the basic command",
    args: ["basic", "--list"],
    stderr: /^client: --list lists the scenarios/,
  },
  {
    name: "an unknown --only scenario name (pointing at --list)",
    args: [...OFFLINE, "--only", "no-such-scenario"],
    stderr:
      /^client: unknown scenario name\(s\): no-such-scenario \(run with --list to see them\)\n$/,
  },
  {
    name: "a --junit file this process may not write (before any scenario runs)",
    args: [...OFFLINE, "--only", FIRST, "--skip", FIRST, "--junit", "/tmp/r.xml"],
    io: { queryWrite: denied },
    stderr:
      /^client: --junit \/tmp\/r\.xml: not allowed to write there; add --allow-write=\/tmp to the deno run command .*or write the report inside the project\n$/,
  },
  {
    name: "a --junit file whose write fails after the run",
    args: [...OFFLINE, "--only", FIRST, "--skip", FIRST, "--junit", "out/r.xml"],
    io: { writeTextFile: () => Promise.reject(new Deno.errors.NotFound("No such file: out")) },
    stderr: /^client: --junit: cannot write out\/r\.xml: No such file: out\n$/,
    reported: true,
  },
  {
    name: "a bad bench flag",
    args: ["bench", ...OFFLINE, "--pattern", "nope"],
    stderr: /^error: --pattern "nope" is not one of/,
  },
];

for (const c of MISTAKES) {
  Deno.test(`client main reports ${c.name} as one line and exit code 2`, async () => {
    const { io, out, err, written } = capture(c.io);
    assert.equal(await main(c.args, {}, io), 2);
    assert.match(err(), c.stderr);
    assert.equal(err().trimEnd().split("\n").length, 1, `one line, got ${JSON.stringify(err())}`);
    if (c.reported) assert.match(out(), /0 passed, 0 failed, 1 skipped/);
    else assert.equal(out(), "", "nothing ran");
    if (!c.reported) assert.deepEqual(written, []);
  });
}

Deno.test("client main lets a genuine bug through with its stack", async () => {
  const bug = new TypeError("stdout is broken");
  const { io } = capture({
    stdout: () => {
      throw bug;
    },
  });
  await assert.rejects(main(["--list"], {}, io), (error) => error === bug);
});

Deno.test("client main --list prints every scenario's name, group and expected result", async () => {
  const { io, out, err } = capture();
  assert.equal(await main(["--list"], {}, io), 0);
  assert.equal(err(), "");
  const lines = out().trimEnd().split("\n");
  const scenarios = allScenarios();
  assert.equal(lines.length, scenarios.length, "one line per scenario");
  scenarios.forEach((s, i) => {
    const [name, group, ...expected] = lines[i].split(/ {2,}/);
    assert.deepEqual([name, group, expected.join("  ")], [s.name, s.group, s.expected]);
  });
});

Deno.test("client main writes the --junit file when it may", async () => {
  const { io, out, written } = capture();
  const args = [...OFFLINE, "--only", FIRST, "--skip", FIRST, "--junit", "r.xml"];
  assert.equal(await main(args, {}, io), 0);
  assert.deepEqual(written, ["r.xml"]);
  assert.match(out(), /1 skipped/);
});

const HELP: { name: string; text: RegExp }[] = [
  { name: "names --list", text: /^ {2}--list +scenarios: print each scenario's name/m },
  {
    name: "warns that --token is visible and recommends GREETER_TOKEN or --token-file",
    text:
      /--token JWT[^]*visible\s+to\s+other\s+processes[^]*echoed\s+by\s+deno\s+task[^]*GREETER_TOKEN\s+or\s+--token-file/,
  },
  {
    name: "points bench at its own help",
    text: /^ {2}bench +load test \(deno task bench --help\)$/m,
  },
];

for (const c of HELP) {
  Deno.test(`client --help ${c.name}`, async () => {
    const { io, out } = capture();
    assert.equal(await main(["--help"], {}, io), 0);
    assert.match(out(), c.text);
  });
}

Deno.test("client refuses an unwritable --junit file up front under the client permission set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/r.xml`;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-P=client", "client.ts", ...OFFLINE, "--junit", file],
      cwd: ROOT,
      stdin: "null",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 2, err);
    assert.equal(new TextDecoder().decode(stdout), "", "no scenario ran");
    assert.match(
      err,
      new RegExp(`^client: --junit ${file}: not allowed to write there; add --allow-write=${dir} `),
    );
    assert.equal(err.trimEnd().split("\n").length, 1, "one line, no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
