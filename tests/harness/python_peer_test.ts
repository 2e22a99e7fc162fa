/**
 * The harness against an independent implementation of the contract in
 * another language (tests/interop/greeter_server.py, Python grpcio, sharing no
 * code with this project): it passes the correct server and fails each
 * deliberately broken variant on exactly the scenarios that variant breaks.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { generateDevPki } from "../../lib/shared/dev_certs.ts";
import { createTokenProvider, mintingTokenSource } from "../../lib/client/token_provider.ts";
import type { RunReport } from "../../lib/harness/report/run_report.ts";
import { createScenarioContext, runScenarios } from "../../lib/harness/run_scenarios.ts";
import { allScenarios } from "../../lib/harness/scenarios/all_scenarios.ts";

/**
 * Every scenario a shared-secret server can be judged on: the identity group
 * needs an OpenID provider (see identity_scenarios_test.ts) and would skip.
 */
const secretSuite = () => allScenarios().filter((s) => s.group !== "identity");
import { RPC_KINDS, STREAMING_RPC_KINDS } from "../../lib/shared/rpc_kinds.ts";
import { AUTH_KINDS, BAD_NAMES } from "../fixtures/scenario_names.ts";
import { PYTHON, pythonPeerTest } from "../_helpers/python_peer.ts";

const PYTHON_SERVER = fileURLToPath(new URL("../interop/greeter_server.py", import.meta.url));
const SECRET = "python-peer-secret-0123456789abcdef";
const ISSUER = "greeter";
const AUDIENCE = "helloworld.Greeter";

const CASES: { variant: string; failing: string[] }[] = [
  { variant: "correct", failing: [] },
  {
    variant: "accepts-expired",
    failing: [...RPC_KINDS.map((p) => `${p}-expired-token`), "bidi-token-expires-mid-stream"],
  },
  {
    variant: "no-auth-on-streams",
    failing: [
      ...STREAMING_RPC_KINDS.flatMap((p) => AUTH_KINDS.map((k) => `${p}-${k}`)),
      "bidi-token-expires-mid-stream",
    ],
  },
  {
    variant: "internal-for-invalid",
    failing: RPC_KINDS.flatMap((p) => BAD_NAMES.map((n) => `${p}-${n}`)),
  },
  { variant: "batched-bidi", failing: ["bidi-ping-pong-valid-token"] },
  { variant: "drops-last-client-message", failing: ["client-stream-valid-token"] },
  { variant: "wrong-stream-count", failing: ["server-stream-valid-token"] },
  { variant: "health-needs-token", failing: ["health-check-serving-without-token"] },
];

/** The Python server allows 5 s of clock leeway, so expiry ends a stream about 6 s in. */
const TIMINGS = {
  shortDeadlineMs: 200,
  replyTimeoutMs: 500,
  expiryTtlSeconds: 1,
  expiryGraceMs: 8000,
  abandonedStreams: 100,
};

async function runAgainst(variant: string, dir: string, caCert: string): Promise<RunReport> {
  const child = new Deno.Command(PYTHON, {
    args: [
      PYTHON_SERVER,
      "--port",
      "0",
      "--cert",
      `${dir}/server.pem`,
      "--key",
      `${dir}/server.key.pem`,
      "--secret-file",
      `${dir}/secret`,
      "--variant",
      variant,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    while (!/LISTENING \d+\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`python server (${variant}) exited before listening: ${text}`);
      text += value;
    }
    const port = Number(/LISTENING (\d+)/.exec(text)![1]);
    const secret = new TextEncoder().encode(SECRET);
    await using ctx = createScenarioContext({
      target: `localhost:${port}`,
      tls: { ca: caCert },
      tokenProvider: createTokenProvider({
        source: mintingTokenSource({ secret, issuer: ISSUER, audience: AUDIENCE }),
      }),
      secret,
      issuer: ISSUER,
      audience: AUDIENCE,
      timings: TIMINGS,
    });
    return await runScenarios(secretSuite(), ctx);
  } finally {
    child.kill("SIGTERM");
    await reader.cancel();
    await child.status;
  }
}

Deno.test(
  pythonPeerTest(
    "harness verdicts on the independent Python implementation and its broken variants",
    async (t) => {
      const dir = await Deno.makeTempDir();
      try {
        const pki = await generateDevPki();
        await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
        await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
        await Deno.writeTextFile(`${dir}/secret`, SECRET);
        // All variants at once: their slow scenarios (deadlines, expiry) overlap.
        const reports = await Promise.all(CASES.map((c) => runAgainst(c.variant, dir, pki.caCert)));
        for (const [i, c] of CASES.entries()) {
          await t.step(
            c.failing.length === 0
              ? "the correct Python server passes every scenario"
              : `the ${c.variant} Python variant fails exactly ${c.failing.length} scenario(s)`,
            () => {
              const report = reports[i];
              const failed = report.results.filter((r) => r.verdict === "FAIL");
              assert.deepEqual(
                failed.map((r) => r.name).sort(),
                [...c.failing].sort(),
                failed.map((r) => `${r.name}: got ${r.got} (${r.detail ?? ""})`).join("\n"),
              );
              assert.equal(report.skipped, 0);
            },
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  ),
);
