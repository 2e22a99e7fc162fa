/**
 * Reads a child process's JSON log lines (one object a line, as
 * `GREETER_LOG_FORMAT=json` writes them); a line that is not JSON is kept as
 * `{ message: line }`.
 *
 * @module
 */

/** Reads JSON log lines from `stream`; `next` waits (bounded) for one that matches. */
export function jsonLogReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const logs: Record<string, unknown>[] = [];
  let seen = 0;
  let pending: Promise<ReadableStreamReadResult<string>> | undefined;
  return {
    logs,
    /** The next line from now on whose message matches, within `timeoutMs`. */
    async next(pattern: RegExp, timeoutMs = 30_000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        while (seen < logs.length) {
          const record = logs[seen++];
          if (pattern.test(String(record.message))) return record;
        }
        const newline = buffered.indexOf("\n");
        if (newline !== -1) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          try {
            logs.push(JSON.parse(line));
          } catch {
            logs.push({ message: line });
          }
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no log line ${pattern}; logs: ${JSON.stringify(logs)}`);
        pending ??= reader.read();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const result = await Promise.race([
          pending,
          new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), left))),
        ]);
        clearTimeout(timer);
        if (result === undefined) continue;
        pending = undefined;
        if (result.done) throw new Error(`no log line ${pattern}; logs: ${JSON.stringify(logs)}`);
        buffered += result.value;
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}
