/**
 * Log volume under a flood: the limiter on a fake clock, then a real server
 * flooded with bad-token and cancelled calls, its log written by the real
 * formatter and sink into a byte counter.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  createLogLimiter,
  type SuppressedLines,
} from "../../../lib/server/interceptors/log_limiter.ts";
import { setupLogging } from "../../../lib/shared/log.ts";
import { unary } from "../../_helpers/calls.ts";
import { startTestServer } from "../../_helpers/test_server.ts";
import { authMetadata, bearer } from "../../_helpers/tokens.ts";

function fakeLimiter(options: { burst?: number; maxKinds?: number } = {}) {
  let clock = 0;
  const reports: SuppressedLines[] = [];
  const limiter = createLogLimiter({
    burst: options.burst ?? 3,
    intervalMs: 1000,
    maxKinds: options.maxKinds,
    now: () => clock,
    report: (summary) => reports.push(summary),
  });
  return { limiter, reports, advance: (ms: number) => (clock += ms) };
}

Deno.test("log limiter admits the first lines of a kind, then counts the rest and reports them once", () => {
  const { limiter, reports, advance } = fakeLimiter();
  const admitted = Array.from({ length: 10 }, () => limiter.admit("UNAUTHENTICATED", "bad token"));
  assert.deepEqual(admitted, [true, true, true, false, false, false, false, false, false, false]);
  assert.equal(limiter.suppressed, 7);
  assert.deepEqual(reports, []);
  advance(1000);
  assert.equal(limiter.admit("UNAUTHENTICATED", "bad token"), true, "a new interval starts");
  assert.deepEqual(reports, [{
    status: "UNAUTHENTICATED",
    details: "bad token",
    count: 7,
    intervalMs: 1000,
  }]);
  limiter.flush();
  assert.equal(reports.length, 1, "nothing more was left out");
});

Deno.test("log limiter counts each status and reason on its own", () => {
  const { limiter, reports } = fakeLimiter({ burst: 1 });
  for (let i = 0; i < 3; i++) {
    limiter.admit("UNAUTHENTICATED", "token expired");
    limiter.admit("UNAUTHENTICATED", "bad signature");
    limiter.admit("CANCELLED", "ended before a status was sent");
  }
  limiter.flush();
  assert.deepEqual(
    reports.map((r) => [r.status, r.details, r.count]),
    [
      ["UNAUTHENTICATED", "token expired", 2],
      ["UNAUTHENTICATED", "bad signature", 2],
      ["CANCELLED", "ended before a status was sent", 2],
    ],
  );
});

Deno.test("log limiter tracks a bounded number of reasons: made-up reasons share one per status", () => {
  const { limiter, reports } = fakeLimiter({ burst: 2, maxKinds: 5 });
  let admitted = 0;
  for (let i = 0; i < 1000; i++) if (limiter.admit("UNIMPLEMENTED", `method /x${i}`)) admitted++;
  limiter.flush();
  // 5 distinct reasons, then everything else in one "(various)" kind with its own burst.
  assert.equal(admitted, 5 + 2);
  assert.deepEqual(reports, [{
    status: "UNIMPLEMENTED",
    details: "(various)",
    count: 1000 - 5 - 2,
    intervalMs: 1000,
  }]);
});

/** A writable stream that counts bytes and keeps the text. */
function byteCounter() {
  const counted = { bytes: 0, text: "" };
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      counted.bytes += chunk.byteLength;
      counted.text += new TextDecoder().decode(chunk);
    },
  });
  return { counted, stream };
}

Deno.test("a flood of bad-token and cancelled calls writes a bounded log, and OK calls one line each", async () => {
  const { counted, stream } = byteCounter();
  const logging = await setupLogging({ level: "info", format: "text", stream });
  let summaryText = "";
  try {
    await using server = await startTestServer();
    using client = server.client();
    const BAD = 1500;
    const CANCELLED = 500;
    const OK = 20;
    const bad = authMetadata("Bearer not-a-token");
    for (let i = 0; i < BAD; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, () => unary(client, { name: "x" }, { metadata: bad })),
      );
    }
    const good = bearer(await server.token());
    for (let i = 0; i < CANCELLED; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => {
        const call = client.SayHelloBidirectional(good);
        call.on("error", () => {});
        const ended = new Promise((resolve) => call.on("status", resolve));
        call.write({ name: "x" });
        call.once("data", () => call.cancel());
        return ended;
      }));
    }
    for (let i = 0; i < OK; i++) {
      const result = await unary(client, { name: "ok" }, { metadata: good });
      assert.equal(grpc.status[result.code], "OK");
    }
    const summary = await server.server.shutdown();
    assert.equal(summary.graceful, true);
    assert.ok(
      (server.server.stats.suppressedLines ?? 0) >= BAD + CANCELLED - 100,
      `only ${server.server.stats.suppressedLines} lines suppressed`,
    );
  } finally {
    await logging[Symbol.asyncDispose]();
    summaryText = counted.text;
  }
  const lines = summaryText.trimEnd().split("\n");
  const okLines = lines.filter((line) => / OK in /.test(line));
  assert.equal(okLines.length, 20, "every OK call keeps its line");
  assert.ok(
    lines.some((line) =>
      /\.\.\. \d+ more UNAUTHENTICATED call lines like this suppressed/.test(line)
    ),
    "a summary line names the suppressed bad-token lines",
  );
  // 2,000 failed calls wrote about 250 bytes each before: ~500 KB. Now a few dozen lines.
  assert.ok(
    counted.bytes < 40_000,
    `the flood wrote ${counted.bytes} bytes:\n${lines.slice(0, 5).join("\n")}`,
  );
});
