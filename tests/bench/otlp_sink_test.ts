/** The bench scripts' OTLP/HTTP sink counts trace exports and bytes, and answers 200. */
import assert from "node:assert/strict";
import { startOtlpSink } from "../../lib/bench/otlp_sink.ts";

const POSTS: [string, string[], { requests: number; bytes: number }][] = [
  ["counts one trace export and its bytes", ["/v1/traces"], { requests: 1, bytes: 10 }],
  [
    "counts the bytes of other signals but not as trace exports",
    ["/v1/metrics", "/v1/traces", "/v1/logs"],
    { requests: 1, bytes: 30 },
  ],
  ["counts nothing before any export", [], { requests: 0, bytes: 0 }],
];

for (const [name, paths, expected] of POSTS) {
  Deno.test(`otlp sink ${name}`, async () => {
    await using sink = startOtlpSink();
    for (const path of paths) {
      const response = await fetch(`${sink.endpoint}${path}`, {
        method: "POST",
        body: "0123456789",
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    assert.deepEqual(sink.figures(), expected);
  });
}
