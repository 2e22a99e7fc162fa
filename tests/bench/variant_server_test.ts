import assert from "node:assert/strict";
import { BENCH_AUDIENCE, BENCH_ISSUER } from "../../lib/bench/bench_token_provider.ts";
import type { BenchServerSpec, ServerStats } from "../../lib/bench/variant_server.ts";
import { testPki } from "../_helpers/pki.ts";

const VARIANT_SERVER = new URL("../../lib/bench/variant_server.ts", import.meta.url).pathname;

/** Runs the variant server as a child, writes `input` to its stdin at once, returns its stdout lines. */
async function converse(input: string[]): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write=/dev/null",
      "--allow-env",
      "--allow-sys",
      VARIANT_SERVER,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input.map((line) => `${line}\n`).join("")));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const lines = new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
  assert.equal(new TextDecoder().decode(stderr), "", "nothing on stderr");
  return { code, lines };
}

async function spec(variant: BenchServerSpec["variant"]): Promise<string> {
  const pki = await testPki();
  return JSON.stringify(
    {
      variant,
      cert: pki.serverCert,
      key: pki.serverKey,
      secret: "bench-secret-for-the-protocol-test-0123456789",
      issuer: BENCH_ISSUER,
      audience: BENCH_AUDIENCE,
    } satisfies BenchServerSpec,
  );
}

for (const variant of ["full", "bare", "auth-only", "logging-only", "chain"] as const) {
  Deno.test(`variant server answers the ${variant} spec with its port, then a stats line per command`, async () => {
    const { code, lines } = await converse([await spec(variant), "stats", "gc", "quit"]);
    assert.equal(code, 0);
    assert.equal(lines.length, 3, lines.join("\n"));
    const { port } = JSON.parse(lines[0]);
    assert.ok(Number.isInteger(port) && port > 0, lines[0]);
    for (const line of lines.slice(1)) {
      const stats = JSON.parse(line) as ServerStats;
      assert.deepEqual(
        Object.keys(stats).sort(),
        ["calls", "cpuSystemUs", "cpuUserUs", "external", "heapTotal", "heapUsed", "rss"],
      );
      assert.ok(stats.rss > 0 && stats.cpuUserUs > 0, line);
      assert.equal(stats.calls, 0);
    }
  });
}

Deno.test("variant server shuts down at the end of its input without a quit", async () => {
  const { code, lines } = await converse([await spec("bare")]);
  assert.equal(code, 0);
  assert.equal(lines.length, 1);
  assert.ok(JSON.parse(lines[0]).port > 0);
});

Deno.test("variant server exits quietly when it gets no spec at all", async () => {
  const { code, lines } = await converse([]);
  assert.equal(code, 0);
  assert.deepEqual(lines, []);
});
