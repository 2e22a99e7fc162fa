import assert from "node:assert/strict";
import { ConfigError } from "../../lib/cli/config_error.ts";
import {
  COMPARE_SETTINGS,
  LOG_SINK_SETTINGS,
  scriptOptions,
  scriptUsage,
  SPAN_COST_SETTINGS,
  STREAMS_MEMORY_SETTINGS,
} from "../../lib/bench/script_settings.ts";

Deno.test("settings of the comparison scripts accept --duration 4s and a bare 4 alike", () => {
  assert.equal(scriptOptions(["--duration", "4s"]).options.durationMs, 4000);
  assert.equal(scriptOptions(["--duration=4"]).options.durationMs, 4000);
  assert.deepEqual(scriptOptions(["--rounds", "2", "--pattern", "bidi"]).options, {
    ...scriptOptions([]).options,
    rounds: 2,
    pattern: "bidi",
  });
  assert.throws(() => scriptOptions(["--duration", "4x"]), ConfigError);
  assert.deepEqual(scriptOptions([]).options, {}, "unset options are left to compareServers");
});

Deno.test("settings of the comparison scripts take --settle as a duration, 0s turning it off", () => {
  assert.equal(scriptOptions(["--settle", "5s"]).options.settleMs, 5000);
  assert.equal(scriptOptions(["--settle", "0s"]).options.settleMs, 0);
  assert.throws(() => scriptOptions(["--settle", "-1s"]), ConfigError);
});

Deno.test("settings of the comparison scripts leave out what was not given and read --help", () => {
  assert.deepEqual(
    scriptOptions([]),
    { help: false, options: {} },
    "compareServers applies defaults",
  );
  assert.equal(scriptOptions(["--help"]).help, true);
  assert.equal(scriptOptions(["--cpu-prof-dir", "/tmp/p"]).options.cpuProfileDir, "/tmp/p");
  assert.throws(() => scriptOptions(["--pattern", "stream"]), ConfigError);
});

Deno.test("script usage names the command and lists every flag of its table", async (t) => {
  const tables = {
    "deno task bench:overhead": COMPARE_SETTINGS,
    "deno task bench:memory": STREAMS_MEMORY_SETTINGS,
    "deno task bench:log-sink": LOG_SINK_SETTINGS,
    "deno task bench:span-cost": SPAN_COST_SETTINGS,
  };
  for (const [command, table] of Object.entries(tables)) {
    await t.step(`the usage of ${command} lists its flags`, () => {
      const text = scriptUsage(command, table);
      assert.ok(text.startsWith(`Usage: ${command} [flags]\n`), text);
      for (const row of Object.values(table)) assert.match(text, new RegExp(`--${row.flag}\\b`));
    });
  }
});
