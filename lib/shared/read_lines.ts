/**
 * Lines of a byte stream: the variant server's stdin/stdout protocol and the
 * supervisor's reading of its workers' stdout.
 *
 * @module
 */

/**
 * Yields each complete line of `stream`, without its newline.
 *
 * @param stream bytes, UTF-8
 * @returns the lines, as they complete; a last line without a newline is not yielded
 *
 * @example
 * ```ts
 * for await (const line of readLines(child.stdout)) console.log(JSON.parse(line));
 * ```
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
}
