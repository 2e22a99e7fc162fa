/**
 * The log sink the bench sets against the project's batching sink: logtape's
 * own non-blocking stream sink with its "bare" text formatter, one write per
 * line.
 *
 * @module
 */
import { getStreamSink, getTextFormatter, type Sink } from "@logtape/logtape";

/**
 * A sink writing each record to `stream` as its own text line.
 *
 * @param stream where the lines go; it is left open when logging is disposed
 * @returns a sink for `setupLogging({ sink })`
 */
export function perLineStreamSink(stream: WritableStream<Uint8Array>): Sink {
  return getStreamSink(stream, {
    formatter: getTextFormatter({ timestamp: "date-time-tz", value: "bare" }),
    nonBlocking: true,
    closeStream: false,
  });
}
