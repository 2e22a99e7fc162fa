/**
 * The batching sink's queue (`log.ts`): lines encoded to UTF-8 as they are
 * queued, into one buffer per batch.
 *
 * Encoding a line when it is queued, while the string the formatter just
 * built is still in the processor's cache, costs a fraction of encoding the
 * joined batch 10 ms later (about 1.2 µs a call line in the server's CPU
 * profile, most of it in flattening the lines' strings), and the line's
 * strings die young instead of waiting in the queue. Each batch gets a
 * buffer of its own, so a stream may keep the chunk it was given; one
 * allocation per batch is nothing next to its dozens of lines.
 *
 * @module
 */

/** Bytes a batch's buffer starts with: a busy server's 10 ms of call lines. */
const INITIAL_BYTES = 64 * 1024;
/** A new batch's buffer is sized like the last batch, up to this. */
const MAX_INITIAL_BYTES = 1024 * 1024;

/**
 * UTF-8 lines waiting to be written, oldest first. `take` hands out the
 * queued bytes and starts a new batch in a new buffer.
 *
 * @example
 * ```ts
 * const lines = new EncodedLines();
 * lines.push("a\n");
 * lines.push("b·c\n");
 * lines.dropOldest();
 * const batch = lines.take(); // the bytes of "b·c\n"
 * ```
 */
export class EncodedLines {
  #encoder = new TextEncoder();
  /** The batch being filled. */
  #bytes = new Uint8Array(INITIAL_BYTES);
  /** Where each line starts in `#bytes`; lines before `#first` were dropped. */
  #starts: number[] = [];
  #first = 0;
  #end = 0;

  /** Lines queued (and not dropped) since the last {@linkcode EncodedLines.take}. */
  get length(): number {
    return this.#starts.length - this.#first;
  }

  /**
   * Encodes `line` at the end of the queue.
   *
   * @param line the text, with its line break
   */
  push(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.#end + line.length * 3 > this.#bytes.length) this.#makeRoom(line.length * 3);
    this.#starts.push(this.#end);
    this.#end += this.#encoder.encodeInto(line, this.#bytes.subarray(this.#end)).written;
  }

  /** Forgets the oldest queued line (none when the queue is empty). */
  dropOldest(): void {
    if (this.length === 0) return;
    this.#first++;
    // Drops cost nothing but an index; compact when they are half of the queue.
    if (this.#first >= 1024 && this.#first * 2 >= this.#starts.length) this.#compact();
  }

  /**
   * The queued lines' bytes, in order (the caller's to keep), and an empty queue.
   *
   * @returns the batch to write
   */
  take(): Uint8Array {
    const taken = this.#bytes.subarray(this.#liveStart(), this.#end);
    const size = Math.min(Math.max(INITIAL_BYTES, 2 * this.#end), MAX_INITIAL_BYTES);
    this.#bytes = new Uint8Array(size);
    this.#starts = [];
    this.#first = 0;
    this.#end = 0;
    return taken;
  }

  #liveStart(): number {
    return this.#first < this.#starts.length ? this.#starts[this.#first] : this.#end;
  }

  /** Moves the live lines to the buffer's start, dropping what was dropped. */
  #compact(): void {
    const start = this.#liveStart();
    this.#bytes.copyWithin(0, start, this.#end);
    this.#end -= start;
    this.#starts = this.#starts.slice(this.#first);
    for (let i = 0; i < this.#starts.length; i++) this.#starts[i] -= start;
    this.#first = 0;
  }

  #makeRoom(bytes: number): void {
    this.#compact();
    if (this.#end + bytes <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#end + bytes));
    grown.set(this.#bytes.subarray(0, this.#end));
    this.#bytes = grown;
  }
}
