import assert from "node:assert/strict";
import { parseBenchJson } from "../../lib/bench/bench_json_parser.ts";
import { toBenchJson, toJson } from "../../lib/bench/bench_json_writer.ts";
import { BENCH_SCHEMA, BenchJsonError } from "../../lib/bench/bench_schema.ts";
import { META, sampleResults } from "../fixtures/bench_results.ts";

Deno.test("bench JSON round-trips through parseBenchJson unchanged", () => {
  const results = sampleResults();
  const text = toJson(results, META);
  assert.ok(text.endsWith("}\n"));
  const parsed = parseBenchJson(text, "run.json");
  assert.deepEqual(parsed, toBenchJson(results, META));
  assert.equal(parsed.schema, BENCH_SCHEMA);
  assert.deepEqual(Object.keys(parsed.patterns), ["unary", "server-stream"], "run order is kept");
});

Deno.test("parseBenchJson explains what is wrong with a file it cannot read", async (t) => {
  const good = JSON.parse(toJson(sampleResults(), META));
  const cases: { name: string; text: string; message: RegExp }[] = [
    {
      name: "text that is not JSON is refused",
      text: "{oops",
      message: /^x\.json: not valid JSON/,
    },
    {
      name: "a JSON array is refused",
      text: "[]",
      message: /expected a JSON object, got an array/,
    },
    {
      name: "a file without a schema is called out as not a bench file",
      text: JSON.stringify({ meta: {} }),
      message: /not a greeter bench file \(no "schema" field; expected "greeter-bench\/1"\)/,
    },
    {
      name: "another schema version is refused by name",
      text: JSON.stringify({ ...good, schema: "greeter-bench/2" }),
      message: /unsupported schema "greeter-bench\/2" \(this version reads "greeter-bench\/1"\)/,
    },
    {
      name: "a missing meta block is named",
      text: JSON.stringify({ schema: BENCH_SCHEMA, patterns: {} }),
      message: /x\.json: meta: expected an object, got nothing \(the field is missing\)/,
    },
    {
      name: "a figure of the wrong type is named with its path",
      text: JSON.stringify({
        ...good,
        patterns: { ...good.patterns, unary: { ...good.patterns.unary, callsPerSecond: "fast" } },
      }),
      message: /x\.json: patterns\.unary\.callsPerSecond: expected a number, got a string/,
    },
    {
      name: "a bad error entry is named with its index",
      text: JSON.stringify({
        ...good,
        patterns: { ...good.patterns, unary: { ...good.patterns.unary, errors: [{ status: 1 }] } },
      }),
      message: /patterns\.unary\.errors\[0\]\.status: expected a string, got a number/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => parseBenchJson(c.text, "x.json"), (error: unknown) => {
        assert.ok(error instanceof BenchJsonError);
        assert.match(error.message, c.message);
        return true;
      });
    });
  }
});
