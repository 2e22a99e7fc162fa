/**
 * Smoke bench: `runBench` end to end against a real TLS + JWT Greeter server
 * started in this process on port 0, with the config built by the client's
 * own parser. Short runs only; the figures are not judged, the plumbing is.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateDevPki } from "../../lib/shared/dev_certs.ts";
import { ConfigError, loadClientConfig } from "../../lib/client/config.ts";
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

Deno.test("bench flags are validated with one line naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--pattern", "sideways"], /--pattern "sideways" is not one of/],
    [["--calls", "0"], /--calls must be a positive whole number/],
    [["--duration", "ten"], /--duration must be a duration/],
    [["--channels", "8", "--concurrency", "2"], /--channels 8 is more than --concurrency 2/],
    [["--messages", "101", "--pattern", "server-stream"], /at most/],
    [["--compare", "a.json"], /--compare needs 2 values/],
    [["--bogus"], /unknown bench flag --bogus/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseBenchArgs(args),
      (error) => error instanceof ConfigError && message.test(error.message),
      args.join(" "),
    );
  }
  const settings = parseBenchArgs(["out.json", "--duration", "2s", "--warmup", "500ms"], true);
  assert.deepEqual(settings.jsonFile, "out.json");
  assert.deepEqual(settings.durationMs, 2000);
  assert.deepEqual(settings.warmupMs, 500);
  assert.deepEqual(parseBenchArgs([]).durationMs, 10_000);
});
