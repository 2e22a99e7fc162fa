/**
 * A bounded map that drops its least recently used entry, for the verified
 * token cache.
 *
 * Recency is kept in a doubly linked list through the entries, not by
 * deleting and re-inserting a `Map` key on every hit (the usual trick): on a
 * busy server that re-insert ran on every call, and V8 then kept each call's
 * young objects alive into the old generation (under `--trace-gc` the heap
 * after each scavenge grew by about half of what was allocated, freed only by
 * full collections). Moving an entry to the front here only rewrites a few
 * pointers between long-lived objects.
 *
 * @module
 */

interface Node<V> {
  key: string;
  value: V;
  newer: Node<V> | undefined;
  older: Node<V> | undefined;
}

/**
 * Least-recently-used cache of `string` keys.
 *
 * @example
 * ```ts
 * const cache = new LruCache<number>(2);
 * cache.set("a", 1);
 * cache.set("b", 2);
 * cache.get("a"); // 1, and "a" is now the most recently used
 * cache.set("c", 3); // drops "b"
 * ```
 */
export class LruCache<V> {
  readonly #capacity: number;
  readonly #nodes = new Map<string, Node<V>>();
  #newest: Node<V> | undefined;
  #oldest: Node<V> | undefined;

  /** @param capacity most entries held; 0 holds none */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#nodes.size;
  }

  /**
   * The value under `key`, made the most recently used; `undefined` when absent.
   *
   * @param key the key
   * @returns the value, if held
   */
  get(key: string): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    if (node !== this.#newest) {
      this.#unlink(node);
      this.#pushNewest(node);
    }
    return node.value;
  }

  /**
   * The value under `key` without changing its recency.
   *
   * @param key the key
   * @returns the value, if held
   */
  peek(key: string): V | undefined {
    return this.#nodes.get(key)?.value;
  }

  /**
   * Stores `value` under `key` as the most recently used entry, dropping the
   * least recently used one when full.
   *
   * @param key the key
   * @param value the value
   */
  set(key: string, value: V): void {
    if (this.#capacity <= 0) return;
    const existing = this.#nodes.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.get(key);
      return;
    }
    if (this.#nodes.size >= this.#capacity) this.delete(this.#oldest!.key);
    const node: Node<V> = { key, value, newer: undefined, older: undefined };
    this.#nodes.set(key, node);
    this.#pushNewest(node);
  }

  /**
   * Removes `key`.
   *
   * @param key the key
   * @returns true when it was held
   */
  delete(key: string): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    this.#nodes.delete(key);
    this.#unlink(node);
    return true;
  }

  #unlink(node: Node<V>): void {
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    node.newer = node.older = undefined;
  }

  #pushNewest(node: Node<V>): void {
    node.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }
}
