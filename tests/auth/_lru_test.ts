/** Unit tests for `lib/auth/_lru.ts`, the verified-token cache's LRU map. */
import assert from "node:assert/strict";
import { LruCache } from "../../lib/auth/_lru.ts";

/** The obvious LRU (re-insert a `Map` key on every hit), as the reference. */
class ReferenceLru {
  readonly map = new Map<string, number>();
  constructor(readonly capacity: number) {}
  get(key: string) {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: string, value: number) {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }
}

const cases: {
  name: string;
  capacity: number;
  ops: [string, string, number?][];
  held: string[];
}[] = [
  {
    name: "a full cache drops the least recently set key",
    capacity: 2,
    ops: [["set", "a", 1], ["set", "b", 2], ["set", "c", 3]],
    held: ["b", "c"],
  },
  {
    name: "a get makes the key the most recently used",
    capacity: 2,
    ops: [["set", "a", 1], ["set", "b", 2], ["get", "a"], ["set", "c", 3]],
    held: ["a", "c"],
  },
  {
    name: "a peek leaves the recency alone",
    capacity: 2,
    ops: [["set", "a", 1], ["set", "b", 2], ["peek", "a"], ["set", "c", 3]],
    held: ["b", "c"],
  },
  {
    name: "setting a held key replaces its value and refreshes it",
    capacity: 2,
    ops: [["set", "a", 1], ["set", "b", 2], ["set", "a", 9], ["set", "c", 3]],
    held: ["a", "c"],
  },
  {
    name: "a deleted key frees its place",
    capacity: 2,
    ops: [["set", "a", 1], ["set", "b", 2], ["delete", "a"], ["set", "c", 3]],
    held: ["b", "c"],
  },
  {
    name: "a cache of capacity 0 holds nothing",
    capacity: 0,
    ops: [["set", "a", 1]],
    held: [],
  },
  {
    name: "deleting the only entry empties the cache, which then fills again",
    capacity: 1,
    ops: [["set", "a", 1], ["delete", "a"], ["set", "b", 2], ["set", "c", 3]],
    held: ["c"],
  },
];

for (const { name, capacity, ops, held } of cases) {
  Deno.test(`LRU cache: ${name}`, () => {
    const cache = new LruCache<number>(capacity);
    for (const [op, key, value] of ops) {
      if (op === "set") cache.set(key, value!);
      else if (op === "get") cache.get(key);
      else if (op === "peek") cache.peek(key);
      else cache.delete(key);
    }
    assert.equal(cache.size, held.length);
    for (const key of held) assert.notEqual(cache.peek(key), undefined, `${key} was dropped`);
  });
}

Deno.test("LRU cache agrees with the re-inserting reference on 20,000 random operations", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const capacity of [1, 3, 16]) {
    const cache = new LruCache<number>(capacity);
    const reference = new ReferenceLru(capacity);
    for (let i = 0; i < 20_000; i++) {
      const key = `k${Math.floor(random() * capacity * 2)}`;
      const roll = random();
      if (roll < 0.45) assert.equal(cache.get(key), reference.get(key), `get ${key} at ${i}`);
      else if (roll < 0.9) {
        cache.set(key, i);
        reference.set(key, i);
      } else {
        assert.equal(cache.delete(key), reference.map.delete(key), `delete ${key} at ${i}`);
      }
      assert.equal(cache.size, reference.map.size, `size at ${i}`);
    }
    for (const [key, value] of reference.map) assert.equal(cache.peek(key), value);
  }
});
