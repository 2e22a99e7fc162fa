/**
 * A recording log sink for tests that assert on log lines.
 *
 * @module
 */
import type { LogRecord, Sink } from "@logtape/logtape";
import { setupLogging } from "../../lib/shared/log.ts";

/** A recording log sink, installed process-wide until disposed. */
export interface RecordedLogs extends AsyncDisposable {
  /** Every record logged so far under the `greeter` category. */
  readonly records: LogRecord[];
}

/** Installs a sink that keeps every record (level `debug` and up); dispose to reset logging. */
export async function recordLogs(): Promise<RecordedLogs> {
  const records: LogRecord[] = [];
  const sink: Sink = (record) => {
    records.push(record);
  };
  const logging = await setupLogging({ sink, level: "debug" });
  return {
    records,
    [Symbol.asyncDispose]: () => logging[Symbol.asyncDispose](),
  };
}

/** A record's message with its values filled in. */
export function renderMessage(record: LogRecord): string {
  return record.message.map((part) => typeof part === "string" ? part : String(part)).join("");
}

/** A byte stream for `setupLogging` or a sink that keeps each chunk written to it, decoded. */
export function recordingStream(): {
  stream: WritableStream<Uint8Array>;
  chunks: string[];
  text: () => string;
} {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      chunks.push(decoder.decode(chunk));
    },
  });
  return { stream, chunks, text: () => chunks.join("") };
}
