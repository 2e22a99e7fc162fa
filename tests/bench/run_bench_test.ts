/**
 * Smoke bench: `runBench` end to end against a real TLS + JWT Greeter server
 * started in this process on port 0, with the config built by the client's
 * own parser. Short runs only; the figures are not judged, the plumbing is.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateDevPki } from "../../lib/shared/dev_certs.ts";
import { ConfigError } from "../../lib/cli/config_error.ts";
import { loadClientConfig } from "../../lib/client/config.ts";
import { createGreeterClient } from "../../lib/client/greeter_client.ts";
import { startBareGreeterServer } from "../../lib/bench/bare_server.ts";
import { runLoad } from "../../lib/bench/load_runner.ts";
import { createPatternCall } from "../../lib/bench/bench_calls.ts";
import { RPC_KINDS } from "../../lib/shared/rpc_kinds.ts";
import { parseBenchJson } from "../../lib/bench/bench_json_parser.ts";
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  parseBenchArgs,
  runBench,
} from "../../lib/bench/run_bench.ts";
import { setupLogging } from "../../lib/shared/log.ts";
import { startGreeterServer } from "../../lib/server/greeter_server.ts";

const SECRET = "bench-test-secret-0123456789abcdef-0123456789";
const ISSUER = "greeter-bench-test";
const AUDIENCE = "helloworld.Greeter";
const CA_PATH = "/virtual/ca.pem";

const pki = await generateDevPki();

/** Client config for `bench` against `port`, the way `client.ts` builds it. */
function benchConfig(port: number, args: string[]) {
  return loadClientConfig(
    ["bench", "--target", `localhost:${port}`, "--ca", CA_PATH, ...args],
    { GREETER_JWT_SECRET: SECRET, GREETER_JWT_ISSUER: ISSUER, GREETER_JWT_AUDIENCE: AUDIENCE },
    {
      readTextFile: (path) => {
        if (path === CA_PATH) return pki.caCert;
        throw new Deno.errors.NotFound(path);
      },
    },
  );
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (text: string) => void out.push(text),
      stderr: (text: string) => void err.push(text),
      signal: new AbortController().signal,
    },
  };
}

async function quietLogs(): Promise<AsyncDisposable> {
  // Call lines at info would flood the test output; errors still show.
  return await setupLogging({ level: "error" });
}

Deno.test("bench runs every pattern against a TLS + auth server and all calls are OK", async () => {
  await using _logs = await quietLogs();
  await using server = await startGreeterServer({
    tls: { cert: pki.serverCert, key: pki.serverKey },
    auth: { secret: new TextEncoder().encode(SECRET), issuer: ISSUER, audience: AUDIENCE },
  });
  const { out, err, io } = capture();
  const config = benchConfig(server.port, [
    "--json",
    "-",
    "--pattern",
    "all",
    "--calls",
    "40",
    "--concurrency",
    "4",
    "--channels",
    "2",
    "--messages",
    "3",
    "--warmup",
    "4",
  ]);
  const code = await runBench(config, io);
  assert.deepEqual(code, EXIT_OK, err.join(""));

  const doc = parseBenchJson(out.join(""), "stdout");
  assert.deepEqual(Object.keys(doc.patterns), [...RPC_KINDS]);
  assert.deepEqual(doc.meta.channels, 2);
  assert.deepEqual(doc.meta.totalCalls, 40);
  for (const [name, p] of Object.entries(doc.patterns)) {
    assert.deepEqual(p.statuses, { OK: 40 }, `${name}: ${JSON.stringify(p.errors)}`);
    assert.deepEqual(p.warmupCalls, 4, name);
    const perCall = name === "server-stream" || name === "bidi" ? 3 : 1;
    assert.deepEqual(p.messages, 40 * perCall, name);
    assert.ok(p.callsPerSecond > 0, name);
  }
  assert.ok(doc.patterns["server-stream"].firstMessageMs !== null);
  assert.ok(doc.patterns["bidi"].firstMessageMs !== null);
  assert.deepEqual(doc.patterns["unary"].firstMessageMs, null);
  // The human report goes to stderr when stdout carries the JSON.
  assert.match(err.join(""), /unary[\s\S]*calls\/s/);
});

Deno.test("bench exits non-zero and names the status when the server refuses the token", async () => {
  await using _logs = await quietLogs();
  await using server = await startGreeterServer({
    tls: { cert: pki.serverCert, key: pki.serverKey },
    auth: {
      secret: new TextEncoder().encode("another-secret-entirely-0123456789abcdef"),
      issuer: ISSUER,
      audience: AUDIENCE,
    },
  });
  const { out, err, io } = capture();
  const config = benchConfig(server.port, [
    "--json",
    "--pattern",
    "unary,bidi",
    "--calls",
    "5",
    "--concurrency",
    "2",
    "--warmup",
    "0",
  ]);
  const code = await runBench(config, io);
  assert.deepEqual(code, EXIT_FAILED);
  const doc = parseBenchJson(out.join(""), "stdout");
  assert.deepEqual(doc.patterns["unary"].statuses, { UNAUTHENTICATED: 5 });
  assert.deepEqual(doc.patterns["bidi"].statuses, { UNAUTHENTICATED: 5 });
  assert.match(err.join(""), /UNAUTHENTICATED/);
});

Deno.test("bench patterns give the same outcomes against the bare server", async () => {
  await using _logs = await quietLogs();
  await using bare = await startBareGreeterServer({
    tls: { cert: pki.serverCert, key: pki.serverKey },
  });
  using client = createGreeterClient({ target: `localhost:${bare.port}`, tls: { ca: pki.caCert } });
  for (const pattern of RPC_KINDS) {
    const result = await runLoad({
      call: createPatternCall(pattern, { connections: [client], messages: 5 }),
      concurrency: 3,
      totalCalls: 12,
    });
    assert.deepEqual(result.statuses, { OK: 12 }, `${pattern}: ${JSON.stringify(result.errors)}`);
  }
});

Deno.test("bench --compare prints ratios of two JSON files without dialling", async () => {
  const { out, err, io } = capture();
  const doc = (calls: number) =>
    JSON.stringify({
      schema: "greeter-bench/1",
      meta: {
        target: "x:1",
        concurrency: 1,
        channels: 1,
        durationMs: null,
        totalCalls: calls,
        ratePerSecond: null,
        warmupCalls: null,
        warmupMs: null,
        date: "2026-01-01T00:00:00Z",
        denoVersion: "2",
        gitCommit: null,
      },
      patterns: {},
    });
  const files: Record<string, string> = { "a.json": doc(1), "b.json": doc(1) };
  const config = benchConfig(1, ["--compare", "a.json", "b.json"]);
  const code = await runBench(config, { ...io, readTextFile: (p) => Promise.resolve(files[p]) });
  assert.deepEqual(code, EXIT_OK, err.join(""));
  assert.match(out.join(""), /A = a\.json, B = b\.json/);

  const broken = await runBench(config, {
    ...io,
    readTextFile: (p) => Promise.resolve(p === "a.json" ? "{}" : files[p]),
  });
  assert.deepEqual(broken, EXIT_USAGE);
  assert.match(err.join(""), /a\.json: not a greeter bench file/);
});

const BAD_BENCH_FLAGS: { name: string; args: string[]; message: RegExp }[] = [
  {
    name: "an unknown pattern",
    args: ["--pattern", "sideways"],
    message: /--pattern "sideways" is not one of/,
  },
  {
    name: "zero calls",
    args: ["--calls", "0"],
    message: /^--calls must be a positive whole number, got "0"$/,
  },
  {
    name: "a duration without a number",
    args: ["--duration", "ten"],
    message: /^--duration must be a positive duration like 10s, 500ms or 2m, got "ten"$/,
  },
  {
    name: "a duration in hours",
    args: ["--duration=4h"],
    message: /^--duration must be a positive duration/,
  },
  {
    name: "a warm-up that is neither calls nor a duration",
    args: ["--warmup", "soon"],
    message: /^--warmup must be a number of calls or a duration/,
  },
  { name: "a rate of zero", args: ["--rate", "0"], message: /^--rate must be a positive number/ },
  {
    name: "more channels than calls in flight",
    args: ["--channels", "8", "--concurrency", "2"],
    message: /--channels 8 is more than --concurrency 2/,
  },
  {
    name: "more messages than the server streams",
    args: ["--messages", "101", "--pattern", "server-stream"],
    message: /at most/,
  },
  {
    name: "--compare with one file",
    args: ["--compare", "a.json"],
    message: /^--compare needs 2 values$/,
  },
  {
    name: "--compare with a run setting",
    args: ["--compare", "a.json", "b.json", "--calls", "3"],
    message: /^--compare cannot be combined with --calls$/,
  },
  { name: "an unknown flag", args: ["--bogus"], message: /^unknown flag --bogus \(see --help\)$/ },
  { name: "a stray argument", args: ["out.json"], message: /^unexpected argument "out\.json"/ },
];

for (const c of BAD_BENCH_FLAGS) {
  Deno.test(`bench flags refuse ${c.name} with one line naming the flag`, () => {
    assert.throws(() => parseBenchArgs(c.args), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
      assert.match(error.message, c.message);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  });
}

const GOOD_BENCH_FLAGS: { name: string; args: string[]; expect: Record<string, unknown> }[] = [
  {
    name: "no flags run every pattern for 10 s after a 1 s warm-up",
    args: [],
    expect: { durationMs: 10_000, warmupMs: 1000, concurrency: 16, channels: 1, messages: 10 },
  },
  {
    name: "--duration 4s is four seconds",
    args: ["--duration", "4s"],
    expect: { durationMs: 4000 },
  },
  { name: "--duration=4s is four seconds", args: ["--duration=4s"], expect: { durationMs: 4000 } },
  {
    name: "a bare --duration 4 is four seconds",
    args: ["--duration", "4"],
    expect: { durationMs: 4000 },
  },
  {
    name: "--calls alone sets no time limit",
    args: ["--calls", "50"],
    expect: { totalCalls: 50, durationMs: undefined },
  },
  {
    name: "--warmup 500ms is a warm-up window",
    args: ["--warmup", "500ms"],
    expect: { warmupMs: 500, warmupCalls: undefined },
  },
  {
    name: "--warmup 20 is twenty warm-up calls",
    args: ["--warmup=20"],
    expect: { warmupCalls: 20, warmupMs: undefined },
  },
  {
    name: "--warmup 0 turns the warm-up off",
    args: ["--warmup", "0"],
    expect: { warmupCalls: undefined, warmupMs: undefined },
  },
  {
    name: "--json FILE writes the file",
    args: ["--json", "out.json", "--calls", "3"],
    expect: { jsonFile: "out.json" },
  },
  {
    name: "--json=FILE writes the file",
    args: ["--json=out.json"],
    expect: { jsonFile: "out.json" },
  },
  {
    name: "--json alone writes JSON to standard output",
    args: ["--json"],
    expect: { jsonFile: "-" },
  },
  {
    name: "--json before another flag writes JSON to standard output",
    args: ["--json", "--calls", "3"],
    expect: { jsonFile: "-", totalCalls: 3 },
  },
  {
    name: "--compare takes two files",
    args: ["--compare", "a.json", "b.json"],
    expect: { compare: ["a.json", "b.json"], patterns: [] },
  },
  {
    name: "a comma list of patterns keeps its order",
    args: ["--pattern", "bidi,unary"],
    expect: { patterns: ["bidi", "unary"] },
  },
];

for (const c of GOOD_BENCH_FLAGS) {
  Deno.test(`bench flags: ${c.name}`, () => {
    const settings = parseBenchArgs(c.args);
    for (const [key, value] of Object.entries(c.expect)) {
      assert.deepEqual(settings[key as keyof typeof settings], value, key);
    }
  });
}

Deno.test("bench flags after the client's: --json FILE reaches the bench as a file, not a switch", () => {
  const config = benchConfig(1, ["--json", "out.json", "--duration", "4s"]);
  assert.deepEqual(
    parseBenchArgs(config.rest),
    parseBenchArgs(["--json=out.json", "--duration=4s"]),
  );
  assert.equal(parseBenchArgs(config.rest).jsonFile, "out.json");
});
