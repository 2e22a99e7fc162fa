import assert from "node:assert/strict";
import { perLineStreamSink } from "../../lib/bench/per_line_sink.ts";
import { greeterLogger, setupLogging } from "../../lib/shared/log.ts";

Deno.test("per-line sink writes each record as its own text line and leaves the stream open", async () => {
  const chunks: string[] = [];
  const stream = new WritableStream<Uint8Array>({
    write: (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
  });
  const logging = await setupLogging({ level: "info", sink: perLineStreamSink(stream) });
  const logger = greeterLogger("server", "call");
  logger.info("first {n}", { n: 1 });
  logger.info("second {n}", { n: 2 });
  logger.debug("below the level");
  await logging[Symbol.asyncDispose]();
  const lines = chunks.join("").split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[0], /first 1$/);
  assert.match(lines[1], /second 2$/);
  const writer = stream.getWriter();
  await writer.write(new TextEncoder().encode("still open\n"));
  await writer.close();
});
