/**
 * CPU time of a process tree from `/proc`: the stat parser on awkward command
 * names, and the walk over a fake `/proc` (the tests may not read another
 * process's `/proc` files).
 */
import assert from "node:assert/strict";
import { statCpuTicks, treeCpuSeconds } from "../../lib/bench/tree_cpu.ts";

const STATS: [string, string, number][] = [
  ["a plain command name", "42 (deno) S 1 42 42 0 -1 4194560 1 0 0 0 7 3 0 0 20 0", 10],
  [
    "a command name with spaces and parentheses",
    "42 (a (b) c) R 1 42 42 0 -1 4194560 1 0 0 0 150 25 0 0 20 0",
    175,
  ],
];

for (const [name, stat, ticks] of STATS) {
  Deno.test(`stat cpu ticks adds utime and stime after ${name}`, () => {
    assert.equal(statCpuTicks(stat), ticks);
  });
}

/** A fake `/proc`: each pid's ticks and its children per thread; absent pids have ended. */
function fakeProc(tree: Record<number, { ticks: number; tasks: Record<string, number[]> }>) {
  const entry = (path: string) => {
    const found = tree[Number(path.split("/")[2])];
    if (found === undefined) throw new Deno.errors.NotFound(path);
    return found;
  };
  return {
    readText(path: string): string {
      const { ticks, tasks } = entry(path);
      if (path.endsWith("/stat")) return `1 (x) S 1 1 1 0 -1 0 0 0 0 0 ${ticks} 0 0 0`;
      const children = tasks[path.split("/")[4]];
      return children.length === 0 ? "" : `${children.join(" ")} `;
    },
    list: (path: string) => Object.keys(entry(path).tasks),
  };
}

const TREE = {
  10: { ticks: 100, tasks: { "10": [11], "12": [13] } },
  11: { ticks: 50, tasks: { "11": [14] } }, // 14 has ended: nothing to count
  13: { ticks: 25, tasks: { "13": [] } },
};

Deno.test("tree cpu adds every thread's children, and their children, to the root", () => {
  assert.equal(treeCpuSeconds(10, fakeProc(TREE)), 1.75);
});

Deno.test("tree cpu of a leaf is its own time", () => {
  assert.equal(treeCpuSeconds(13, fakeProc(TREE)), 0.25);
});

Deno.test("tree cpu throws for a root that is not there", () => {
  assert.throws(() => treeCpuSeconds(99, fakeProc(TREE)), Deno.errors.NotFound);
});
