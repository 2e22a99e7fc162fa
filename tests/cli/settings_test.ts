/**
 * The one settings reader: every kind, both flag forms, flag over
 * environment, one-line errors naming the setting, and the help text, env
 * list and README rows generated from the same table.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../lib/cli/config_error.ts";
import { BENCH_SETTINGS } from "../../lib/bench/run_bench.ts";
import {
  COMPARE_SETTINGS,
  LOG_SINK_SETTINGS,
  SPAN_COST_SETTINGS,
  STREAMS_MEMORY_SETTINGS,
  WORKERS_SETTINGS,
} from "../../lib/bench/script_settings.ts";
import { CLIENT_SETTINGS } from "../../lib/client/config.ts";
import { SERVER_SETTINGS } from "../../lib/server/config.ts";
import { GEN_TYPES_SETTINGS } from "../../scripts/gen_types.ts";
import {
  defaultText,
  envNames,
  markdownRows,
  parseDuration,
  readSettings,
  type SettingsTable,
  usageLines,
} from "../../lib/cli/settings.ts";

const TABLE = {
  port: {
    flag: "port",
    env: "T_PORT",
    kind: "int",
    min: 0,
    max: 65535,
    default: 50051,
    help: "listen port",
  },
  name: { flag: "name", env: "T_NAME", kind: "string", default: "world", help: "who to greet" },
  file: { flag: "file", kind: "path", help: "a file" },
  level: {
    flag: "level",
    env: "T_LEVEL",
    kind: "enum",
    choices: ["low", "high"],
    default: "low",
    help: "how loud",
  },
  rate: { flag: "rate", kind: "number", above: 0, help: "calls per second" },
  duration: {
    flag: "duration",
    env: "T_DURATION",
    kind: "duration",
    default: 10_000,
    help: "how long",
  },
  warmup: { flag: "warmup", kind: "duration", minMs: 0, help: "warm-up" },
  only: { flag: "only", kind: "list", help: "names" },
  basic: { flag: "basic", env: "T_BASIC", kind: "switch", help: "plaintext" },
  compare: { flag: "compare", kind: "pair", help: "two files" },
  json: { flag: "json", kind: "path", bareValue: "-", help: "JSON to FILE or stdout" },
  secret: { env: "T_SECRET", kind: "string", help: "no flag, by design" },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

const read = (args: string[], env: Record<string, string> = {}) =>
  readSettings(TABLE, args, env).values;

const GOOD: { name: string; args: string[]; env?: Record<string, string>; expect: object }[] = [
  {
    name: "no settings give every default",
    args: [],
    expect: {
      port: 50051,
      name: "world",
      level: "low",
      duration: 10_000,
      basic: false,
      only: [],
      file: undefined,
    },
  },
  { name: "--flag value sets a value", args: ["--port", "8080"], expect: { port: 8080 } },
  { name: "--flag=value sets a value", args: ["--port=8080"], expect: { port: 8080 } },
  { name: "--flag=value keeps later equals signs", args: ["--name=a=b"], expect: { name: "a=b" } },
  { name: "a switch alone is on", args: ["--basic"], expect: { basic: true } },
  { name: "--basic=true is on", args: ["--basic=true"], expect: { basic: true } },
  { name: "--basic=false is off", args: ["--basic=false"], expect: { basic: false } },
  {
    name: "a switch from the environment accepts yes",
    args: [],
    env: { T_BASIC: "yes" },
    expect: { basic: true },
  },
  {
    name: "a switch from the environment accepts 0",
    args: [],
    env: { T_BASIC: "0" },
    expect: { basic: false },
  },
  {
    name: "a flag wins over its environment variable",
    args: ["--port", "1"],
    env: { T_PORT: "2" },
    expect: { port: 1 },
  },
  {
    name: "the environment wins over the default",
    args: [],
    env: { T_PORT: "2", T_LEVEL: "high" },
    expect: { port: 2, level: "high" },
  },
  {
    name: "an empty environment variable counts as unset",
    args: [],
    env: { T_PORT: "" },
    expect: { port: 50051 },
  },
  {
    name: "a variable without a flag is read",
    args: [],
    env: { T_SECRET: "s3cret" },
    expect: { secret: "s3cret" },
  },
  { name: "--duration 4s is four seconds", args: ["--duration", "4s"], expect: { duration: 4000 } },
  {
    name: "--duration 500ms is half a second",
    args: ["--duration=500ms"],
    expect: { duration: 500 },
  },
  {
    name: "--duration 2m is two minutes",
    args: ["--duration", "2m"],
    expect: { duration: 120_000 },
  },
  { name: "a bare duration is seconds", args: ["--duration", "4"], expect: { duration: 4000 } },
  {
    name: "a duration may be zero where the row allows it",
    args: ["--warmup", "0"],
    expect: { warmup: 0 },
  },
  { name: "a list drops blanks", args: ["--only", "a, b,"], expect: { only: ["a", "b"] } },
  {
    name: "a pair takes the next two arguments",
    args: ["--compare", "a.json", "b.json"],
    expect: { compare: ["a.json", "b.json"] },
  },
  {
    name: "a pair takes --flag=first second",
    args: ["--compare=a.json", "b.json"],
    expect: { compare: ["a.json", "b.json"] },
  },
  {
    name: "an optional value takes the next argument",
    args: ["--json", "out.json"],
    expect: { json: "out.json" },
  },
  {
    name: "an optional value given last is its bare value",
    args: ["--json"],
    expect: { json: "-" },
  },
  {
    name: "an optional value before a flag is its bare value",
    args: ["--json", "--basic"],
    expect: { json: "-", basic: true },
  },
  { name: "a fractional rate is accepted", args: ["--rate", "2.5"], expect: { rate: 2.5 } },
  { name: "-h means --help", args: ["-h"], expect: { help: true } },
  {
    name: "the last of a repeated flag wins",
    args: ["--port", "1", "--port", "2"],
    expect: { port: 2 },
  },
];

for (const c of GOOD) {
  Deno.test(`settings reader: ${c.name}`, () => {
    const values = read(c.args, c.env);
    for (const [key, expected] of Object.entries(c.expect)) {
      assert.deepEqual(values[key as keyof typeof values], expected, key);
    }
  });
}

const BAD: { name: string; args: string[]; env?: Record<string, string>; message: RegExp }[] = [
  {
    name: "an unknown flag",
    args: ["--prot", "1"],
    message: /^unknown flag --prot \(see --help\); did you mean --port\?$/,
  },
  {
    name: "an unknown flag far from any other",
    args: ["--zzzzzz"],
    message: /^unknown flag --zzzzzz \(see --help\)$/,
  },
  { name: "an unknown short flag", args: ["-x"], message: /^unknown flag -x/ },
  { name: "a stray argument", args: ["now"], message: /^unexpected argument "now"/ },
  { name: "a flag without its value", args: ["--port"], message: /^--port needs a value$/ },
  {
    name: "a flag followed by another flag instead of its value",
    args: ["--port", "--basic"],
    message: /^--port needs a value$/,
  },
  {
    name: "a port over the range",
    args: ["--port", "65536"],
    message:
      /^--port must be a whole number from 0 to 65535, got "65536" \(flag --port, env T_PORT\)$/,
  },
  {
    name: "a port under the range",
    args: ["--port=-1"],
    message: /^--port must be a whole number from 0 to 65535/,
  },
  { name: "a fractional port", args: ["--port", "1.5"], message: /^--port must be a whole number/ },
  {
    name: "a bad port from the environment, named by its variable",
    args: [],
    env: { T_PORT: "http" },
    message:
      /^T_PORT must be a whole number from 0 to 65535, got "http" \(flag --port, env T_PORT\)$/,
  },
  {
    name: "a word outside the choices",
    args: ["--level", "loud"],
    message: /^--level must be one of low, high, got "loud"/,
  },
  {
    name: "a switch with a value other than true or false",
    args: ["--basic=yes"],
    message: /^--basic takes no value or =true \/ =false, got "yes"$/,
  },
  {
    name: "a switch from the environment that is not a boolean",
    args: [],
    env: { T_BASIC: "maybe" },
    message: /^T_BASIC must be true or false, got "maybe"/,
  },
  {
    name: "a duration without a number",
    args: ["--duration", "ten"],
    message: /^--duration must be a positive duration like 10s, 500ms or 2m, got "ten"/,
  },
  {
    name: "a duration with an unknown unit",
    args: ["--duration", "4h"],
    message: /^--duration must be a positive duration/,
  },
  {
    name: "a zero duration where zero is refused",
    args: ["--duration", "0s"],
    message: /^--duration must be a positive duration/,
  },
  {
    name: "a rate of zero",
    args: ["--rate", "0"],
    message: /^--rate must be a positive number, got "0"$/,
  },
  {
    name: "a pair with one value",
    args: ["--compare", "a.json"],
    message: /^--compare needs 2 values$/,
  },
];

for (const c of BAD) {
  Deno.test(`settings reader refuses ${c.name} with one line naming the setting`, () => {
    assert.throws(() => read(c.args, c.env), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
      assert.match(error.message, c.message);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  });
}

Deno.test("settings reader never yields NaN for a duration", () => {
  for (const raw of ["4s", "4", "1.5s", "250ms", "2m"]) {
    const value = read(["--duration", raw]).duration;
    assert.ok(Number.isFinite(value), raw);
  }
  assert.equal(parseDuration("4x", "s"), undefined);
});

Deno.test("settings reader reports where each value came from and labels it that way", () => {
  const result = readSettings(TABLE, ["--port", "1"], { T_LEVEL: "high" });
  assert.deepEqual([result.sources.port, result.sources.level, result.sources.name], [
    "flag",
    "env",
    "default",
  ]);
  assert.deepEqual([result.label("port"), result.label("level"), result.label("secret")], [
    "--port",
    "T_LEVEL",
    "T_SECRET",
  ]);
});

Deno.test("settings reader takes the first command word and refuses a second", () => {
  const options = { commands: ["serve", "certs"] };
  assert.equal(readSettings(TABLE, ["--basic", "certs"], {}, options).command, "certs");
  assert.equal(readSettings(TABLE, [], {}, options).command, undefined);
  assert.throws(
    () => readSettings(TABLE, ["serve", "now"], {}, options),
    /unexpected argument "now"; commands are serve, certs \(see --help\)$/,
  );
});

Deno.test("settings reader passes a pass-through command's flags and arguments on, in order", () => {
  const table = {
    ...TABLE,
    list: { flag: "list", kind: "switch", commands: ["run"], help: "list them" },
    json: { flag: "json", kind: "switch", commands: ["run"], help: "print JSON" },
  } as const satisfies SettingsTable;
  const result = readSettings(
    table,
    ["bench", "--port", "1", "--json", "out.json", "--list", "--pattern=unary", "-x", "--", "y"],
    {},
    { commands: ["run", "bench"], passThrough: ["bench"] },
  );
  assert.equal(result.command, "bench");
  assert.equal(result.values.port, 1, "the command's shared flags are still read");
  assert.equal(result.values.json, false, "the subcommand's --json is not the table's");
  assert.equal(result.values.list, false);
  assert.deepEqual(result.rest, ["--json", "out.json", "--list", "--pattern=unary", "-x", "y"]);
});

Deno.test("settings reader passes on a pass-through command's flags given before the command word", () => {
  const table = {
    ...TABLE,
    json: { flag: "json", kind: "switch", commands: ["run"], help: "print JSON" },
  } as const satisfies SettingsTable;
  const options = { commands: ["run", "bench"], passThrough: ["bench"] };
  const result = readSettings(table, ["--json", "--port=1", "bench", "--calls", "3"], {}, options);
  assert.equal(result.values.json, false);
  assert.equal(result.values.port, 1);
  assert.deepEqual(result.rest, ["--json", "--calls", "3"]);
  assert.equal(readSettings(table, ["--json", "run"], {}, options).values.json, true);
});

Deno.test("settings reader passes what follows -- on only where allowed", () => {
  assert.deepEqual(readSettings(TABLE, ["--", "--port"], {}, { allowRest: true }).rest, ["--port"]);
  assert.throws(() => readSettings(TABLE, ["--", "x"], {}), /unknown flag --/);
});

Deno.test("settings usage has one line per row with its flag, variable and default", () => {
  const lines = usageLines(TABLE);
  assert.equal(lines.length, Object.keys(TABLE).length);
  for (const [i, setting] of Object.values(TABLE).entries()) {
    const line = lines[i];
    if ("flag" in setting) assert.ok(line.includes(`--${setting.flag}`), line);
    if ("env" in setting) assert.ok(line.includes(setting.env), line);
    assert.ok(line.includes(setting.help), line);
  }
  assert.match(lines[0], /^ {2}--port N +listen port \[T_PORT\] \(default 50051\)$/);
  assert.match(lines[3], /--level low\|high/);
  assert.match(lines[5], /\(default 10s\)$/);
});

Deno.test("settings env names are every row's variable, in table order", () => {
  assert.deepEqual(envNames(TABLE), [
    "T_PORT",
    "T_NAME",
    "T_LEVEL",
    "T_DURATION",
    "T_BASIC",
    "T_SECRET",
  ]);
});

Deno.test("settings README rows show each variable, flag, default and meaning", () => {
  const rows = markdownRows(TABLE);
  assert.deepEqual(rows[0], ["`T_PORT`", "`--port`", "`50051`", "listen port"]);
  assert.deepEqual(rows.find((row) => row[0] === "`T_SECRET`"), [
    "`T_SECRET`",
    "(none, by design)",
    "none",
    "no flag, by design",
  ]);
  assert.deepEqual(rows.find((row) => row[1] === "`--basic`")?.[2], "off");
  assert.ok(!rows.some((row) => row[1] === "`--help`"), "--help is not a setting");
});

/** Every command line of the project, by the command that reads it. */
const COMMAND_TABLES: Record<string, SettingsTable> = {
  "the server": SERVER_SETTINGS,
  "the client": CLIENT_SETTINGS,
  "the bench": BENCH_SETTINGS,
  "the server-comparison scripts": COMPARE_SETTINGS,
  "the streams-memory script": STREAMS_MEMORY_SETTINGS,
  "the log-sink script": LOG_SINK_SETTINGS,
  "the span-cost script": SPAN_COST_SETTINGS,
  "the type generator": GEN_TYPES_SETTINGS,
  "the workers bench": WORKERS_SETTINGS,
};

for (const [command, table] of Object.entries(COMMAND_TABLES)) {
  Deno.test(`settings table of ${command} names each flag and variable once, in the house style`, () => {
    const rows = Object.values(table);
    const flags = rows.flatMap((row) => row.flag === undefined ? [] : [row.flag]);
    const envs = envNames(table);
    assert.equal(new Set(flags).size, flags.length, "a flag is listed twice");
    assert.equal(new Set(envs).size, envs.length, "a variable is listed twice");
    for (const flag of flags) assert.match(flag, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    // Standard OpenTelemetry variables the server applies itself keep their standard names.
    for (const env of envs) assert.match(env, /^(GREETER_[A-Z0-9_]+|OTEL_TRACES_SAMPLER(_ARG)?)$/);
    for (const row of rows) {
      assert.ok(
        row.flag !== undefined || row.env !== undefined,
        "a row needs a flag or a variable",
      );
      assert.ok(
        row.help.trim() !== "" && !row.help.includes("\n"),
        `help of ${row.flag ?? row.env}`,
      );
    }
  });

  Deno.test(`settings table of ${command} reads each default back as itself`, () => {
    for (const [key, row] of Object.entries(table)) {
      if (row.flag === undefined || row.defaultText !== undefined || !("default" in row)) continue;
      const text = defaultText(row);
      if (text === undefined) continue;
      const { values } = readSettings(table, [`--${row.flag}=${text}`], {});
      assert.deepEqual(values[key], readSettings(table, [], {}).values[key], key);
    }
  });
}

/** The cells of each Markdown table in the README's configuration section, in order. */
async function readmeConfigurationTables(): Promise<string[][][]> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const start = readme.indexOf("## Configuration");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const tables: string[][][] = [];
  let rows: string[][] | undefined;
  for (const line of section.split("\n")) {
    if (!line.startsWith("|")) {
      rows = undefined;
      continue;
    }
    if (rows === undefined) tables.push(rows = []); // the header line
    else if (!/^\|[\s|:-]+\|$/.test(line)) {
      rows.push(line.slice(1, -1).split("|").map((cell) => cell.trim()));
    }
  }
  return tables;
}

Deno.test("README configuration tables are the server's and the client's settings tables", async () => {
  const [server, client] = await readmeConfigurationTables();
  assert.deepEqual(server, markdownRows(SERVER_SETTINGS), "regenerate from SERVER_SETTINGS");
  assert.deepEqual(client, markdownRows(CLIENT_SETTINGS), "regenerate from CLIENT_SETTINGS");
});
