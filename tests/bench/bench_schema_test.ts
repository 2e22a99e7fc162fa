import assert from "node:assert/strict";
import { BENCH_SCHEMA, BenchJsonError } from "../../lib/bench/bench_schema.ts";

Deno.test("bench schema keeps the name every stored results file carries", () => {
  // Changing it makes every kept results file unreadable: bump it only with a reader for the old.
  assert.equal(BENCH_SCHEMA, "greeter-bench/1");
});

Deno.test("BenchJsonError is an Error named for what it reports", () => {
  const error = new BenchJsonError("x.json: meta: expected an object");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "BenchJsonError");
  assert.equal(error.message, "x.json: meta: expected an object");
});
