/**
 * The batching sink's queue (`log.ts`): lines encoded to UTF-8 as they are
 * queued, batch after batch into one large buffer.
 *
 * Encoding a line when it is queued, while the string the formatter just
 * built is still in the processor's cache, costs a fraction of encoding the
 * joined batch 10 ms later (about 1.2 µs a call line in the server's CPU
 * profile, most of it in flattening the lines' strings), and the line's
 * strings die young instead of waiting in the queue. Batches follow one
 * another in a slab of 1 MiB, so a busy server allocates one buffer every
 * second or so instead of one per batch (a fresh 15 KiB buffer per 10 ms
 * batch cost 0.6 µs a line in the same profile); a batch handed out is
 * never written again, so a stream may keep the chunk it was given.
 *
 * @module
 */

/** Bytes of a slab; a batch larger than this gets a slab of its own. */
const SLAB_BYTES = 1024 * 1024;

const NO_BYTES = new Uint8Array(0);

/**
 * UTF-8 lines waiting to be written, oldest first. `take` hands out the
 * queued bytes; the next batch starts after them.
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
  #slab = new Uint8Array(SLAB_BYTES);
  /** Where the current batch starts in the slab: bytes before it were handed out. */
  #base = 0;
  /** Where each line of the batch starts; lines before `#first` were dropped. */
  #starts: number[] = [];
  #first = 0;
  #end = 0;
  /** The last head given to {@linkcode EncodedLines.pushSplit}, and its UTF-8. */
  #head = "";
  #headBytes = NO_BYTES;

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
    this.#append(NO_BYTES, line);
  }

  /**
   * Encodes the line `head + body` at the end of the queue, the same bytes as
   * {@linkcode EncodedLines.push} would write. The head's bytes are kept and
   * copied while the next lines come with the same head string, so only each
   * body is encoded (see `SplitTextFormatter` in `text_formatter.ts`).
   *
   * @param head the start of the line, shared by lines in a row
   * @param body the rest, with the line break
   */
  pushSplit(head: string, body: string): void {
    if (head !== this.#head) {
      this.#head = head;
      this.#headBytes = this.#encoder.encode(head);
    }
    this.#append(this.#headBytes, body);
  }

  /** Queues one line: `prefix` as it is, then `text` encoded. */
  #append(prefix: Uint8Array, text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const most = prefix.length + text.length * 3;
    if (this.#end + most > this.#slab.length) this.#makeRoom(most);
    this.#starts.push(this.#end);
    this.#slab.set(prefix, this.#end);
    this.#end += prefix.length;
    this.#end += this.#encoder.encodeInto(text, this.#slab.subarray(this.#end)).written;
  }

  /** Forgets the oldest queued line (none when the queue is empty). */
  dropOldest(): void {
    if (this.length === 0) return;
    this.#first++;
    // Drops cost nothing but an index; compact when they are half of the queue.
    if (this.#first >= 1024 && this.#first * 2 >= this.#starts.length) this.#compact();
  }

  /**
   * The queued lines' bytes, in order (the caller's to keep: they are never
   * written again), and an empty queue.
   *
   * @returns the batch to write
   */
  take(): Uint8Array {
    const taken = this.#slab.subarray(this.#liveStart(), this.#end);
    this.#base = this.#end;
    this.#starts = [];
    this.#first = 0;
    return taken;
  }

  #liveStart(): number {
    return this.#first < this.#starts.length ? this.#starts[this.#first] : this.#end;
  }

  /** Moves the batch's live lines to its start, dropping what was dropped. */
  #compact(): void {
    const start = this.#liveStart();
    const shift = start - this.#base;
    this.#slab.copyWithin(this.#base, start, this.#end);
    this.#end -= shift;
    this.#starts = this.#starts.slice(this.#first);
    for (let i = 0; i < this.#starts.length; i++) this.#starts[i] -= shift;
    this.#first = 0;
  }

  /** Makes room for `bytes` more: compacts, else moves the batch to a new slab. */
  #makeRoom(bytes: number): void {
    this.#compact();
    if (this.#end + bytes <= this.#slab.length) return;
    const live = this.#end - this.#base;
    const slab = new Uint8Array(Math.max(SLAB_BYTES, 2 * (live + bytes)));
    slab.set(this.#slab.subarray(this.#base, this.#end));
    for (let i = 0; i < this.#starts.length; i++) this.#starts[i] -= this.#base;
    this.#slab = slab;
    this.#end = live;
    this.#base = 0;
  }
}
