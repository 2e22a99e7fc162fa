import assert from "node:assert/strict";
import type { LoadProgress } from "../../lib/bench/load_runner.ts";
import {
  createProgressLine,
  formatProgress,
  type ProgressOutput,
} from "../../lib/bench/progress.ts";

const SNAPSHOT: LoadProgress = {
  phase: "measure",
  elapsedMs: 4200,
  calls: 4210,
  inFlight: 8,
  callsPerSecond: 1002.38,
  failures: 0,
  fraction: 0.42,
  scheduleLagMs: 0,
  done: false,
};

/** An output that records what was written, as a terminal or not. */
function fakeOutput(terminal: boolean): ProgressOutput & { text: () => string } {
  const chunks: Uint8Array[] = [];
  return {
    isTerminal: () => terminal,
    writeSync(bytes) {
      chunks.push(bytes);
      return bytes.length;
    },
    text: () => chunks.map((c) => new TextDecoder().decode(c)).join(""),
  };
}

Deno.test("progress line writes nothing when the output is not a terminal", () => {
  const output = fakeOutput(false);
  const line = createProgressLine({ output, columns: () => 80 });
  assert.equal(line.enabled, false);
  line.update("unary", SNAPSHOT);
  line.write("hello");
  line.clear();
  assert.equal(output.text(), "");
});

Deno.test("progress line on a terminal redraws one line in place and clears it", () => {
  const output = fakeOutput(true);
  const line = createProgressLine({ output, columns: () => 200 });
  line.update("unary", SNAPSHOT);
  line.update("unary", { ...SNAPSHOT, calls: 5000 });
  line.clear();
  line.clear();
  const text = output.text();
  assert.ok(!text.includes("\n"), "never moves to a new line");
  assert.equal(text.split("\r").length - 1, 3, "two redraws and one clear");
  assert.ok(text.startsWith(`\r${formatProgress("unary", SNAPSHOT)}\x1b[K`));
  assert.ok(text.endsWith("\r\x1b[K"));
});

Deno.test("progress line is cut to the terminal width so it never wraps", () => {
  const output = fakeOutput(true);
  createProgressLine({ output, columns: () => 20 }).write("x".repeat(100));
  assert.equal(output.text(), `\r${"x".repeat(19)}\x1b[K`);
});

Deno.test("progress text shows phase, share done, rate and lag when there is some", async (t) => {
  const cases: { name: string; snapshot: LoadProgress; expected: string }[] = [
    {
      name: "a measuring snapshot reads as one line of figures",
      snapshot: SNAPSHOT,
      expected: "unary  measure  42%  4.2 s  4210 calls  1002.4/s  in flight 8  non-OK 0",
    },
    {
      name: "a warm-up snapshot with schedule lag says so",
      snapshot: { ...SNAPSHOT, phase: "warmup", scheduleLagMs: 12.34, failures: 3 },
      expected:
        "unary  warm-up  42%  4.2 s  4210 calls  1002.4/s  in flight 8  non-OK 3  lag 12.3 ms",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(formatProgress("unary", c.snapshot), c.expected));
  }
});
