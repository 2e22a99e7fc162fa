/**
 * The harness is right about wrong servers: run the whole suite against the
 * correct fixture and each broken variant, and check exactly which scenarios
 * fail. If the harness stops noticing a mistake (or starts blaming a correct
 * server), the failing-name list changes and this test fails.
 */
import assert from "node:assert/strict";
import { createTokenProvider } from "../../lib/client/token_provider.ts";
import type { RunReport } from "../../lib/harness/report/run_report.ts";
import { createScenarioContext, runScenarios } from "../../lib/harness/run_scenarios.ts";
import { allScenarios } from "../../lib/harness/scenarios/all_scenarios.ts";

/**
 * Every scenario a shared-secret server can be judged on: the identity group
 * needs an OpenID provider (see identity_scenarios_test.ts) and would skip.
 */
const secretSuite = () => allScenarios().filter((s) => s.group !== "identity");
import {
  fixtureTokenProvider,
  type ServerVariant,
  startFixtureServer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  TEST_SECRET,
} from "../fixtures/broken_servers.ts";
import { RPC_KINDS, STREAMING_RPC_KINDS } from "../../lib/shared/rpc_kinds.ts";
import { AUTH_KINDS, BAD_NAMES } from "../fixtures/scenario_names.ts";

/** Fast timings so the suite runs in seconds; the expiry scenario uses a 2 s token. */
const TIMINGS = {
  shortDeadlineMs: 200,
  replyTimeoutMs: 500,
  expiryTtlSeconds: 2,
  expiryGraceMs: 3000,
  abandonedStreams: 200,
};

const CASES: { name: string; variant: ServerVariant; failing: string[] }[] = [
  {
    name: "a correct server passes every scenario",
    variant: "correct",
    failing: [],
  },
  {
    name:
      "a server accepting expired tokens fails the expired-token scenarios and mid-stream expiry",
    variant: "accepts-expired",
    failing: [...RPC_KINDS.map((p) => `${p}-expired-token`), "bidi-token-expires-mid-stream"],
  },
  {
    name: "a server skipping auth on streams fails every streaming auth scenario",
    variant: "skips-auth-on-streams",
    failing: [
      ...STREAMING_RPC_KINDS.flatMap((p) => AUTH_KINDS.map((k) => `${p}-${k}`)),
      "bidi-token-expires-mid-stream",
    ],
  },
  {
    name: "a server answering INTERNAL for bad names fails every validation scenario",
    variant: "internal-instead-of-invalid-argument",
    failing: RPC_KINDS.flatMap((p) => BAD_NAMES.map((n) => `${p}-${n}`)),
  },
  {
    name: "a server batching bidi replies until half-close fails the ping-pong scenario",
    variant: "batches-bidi-replies",
    failing: ["bidi-ping-pong-valid-token"],
  },
  {
    name: "a server dropping the last client-stream message fails the client-stream scenario",
    variant: "drops-last-client-stream-message",
    failing: ["client-stream-valid-token"],
  },
  {
    name: "a server requiring a token for health checks fails the health scenario",
    variant: "health-requires-token",
    failing: ["health-check-serving-without-token"],
  },
];

async function runSuiteAgainst(variant: ServerVariant): Promise<RunReport> {
  await using server = await startFixtureServer({ variant });
  const tokenProvider = fixtureTokenProvider();
  await using ctx = createScenarioContext({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider,
    secret: TEST_SECRET,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    timings: TIMINGS,
  });
  return await runScenarios(secretSuite(), ctx);
}

Deno.test("harness verdicts on the correct and the broken fixture servers", async (t) => {
  // All variants at once: the slow scenarios (deadlines, token expiry) overlap.
  const reports = await Promise.all(CASES.map((c) => runSuiteAgainst(c.variant)));
  for (const [i, c] of CASES.entries()) {
    await t.step(c.name, () => {
      const report = reports[i];
      const failed = report.results.filter((r) => r.verdict === "FAIL").map((r) => r.name);
      assert.deepEqual(
        failed.sort(),
        [...c.failing].sort(),
        report.results.filter((r) => r.verdict === "FAIL")
          .map((r) => `${r.name}: got ${r.got} (${r.detail ?? ""})`).join("\n"),
      );
      assert.equal(report.skipped, 0, "nothing is skipped when the secret is known");
      assert.equal(report.passed, secretSuite().length - c.failing.length);
    });
  }
});

Deno.test("harness skips secret-needing scenarios, with a reason, when only a token is given", async () => {
  await using server = await startFixtureServer();
  const token = await fixtureTokenProvider().getToken();
  await using ctx = createScenarioContext({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider: createTokenProvider({
      source: () => Promise.resolve(token),
      refreshable: false,
    }),
  });
  const report = await runScenarios(secretSuite(), ctx, {
    only: ["unary-valid-token", "unary-expired-token", "bidi-wrong-issuer", "unary-alg-none"],
  });
  const verdicts = Object.fromEntries(report.results.map((r) => [r.name, r.verdict]));
  assert.deepEqual(verdicts, {
    "unary-valid-token": "PASS",
    "unary-expired-token": "SKIP",
    "bidi-wrong-issuer": "SKIP",
    "unary-alg-none": "PASS",
  });
  const skip = report.results.find((r) => r.name === "unary-expired-token")!;
  assert.match(skip.detail ?? "", /JWT secret/);
});

Deno.test("harness over plaintext without the opt-in sends no token and skips token scenarios", async () => {
  await using server = await startFixtureServer({ plaintext: true });
  await using ctx = createScenarioContext({
    target: server.address,
    tls: null,
    tokenProvider: fixtureTokenProvider(),
    secret: TEST_SECRET,
  });
  assert.equal(ctx.client, null);
  const report = await runScenarios(secretSuite(), ctx, {
    only: ["unary-valid-token", "unary-no-token", "unary-garbage-token", "tls-unknown-ca-refused"],
  });
  const verdicts = Object.fromEntries(report.results.map((r) => [r.name, r.verdict]));
  assert.deepEqual(verdicts, {
    "unary-valid-token": "SKIP",
    "unary-no-token": "PASS",
    "unary-garbage-token": "SKIP",
    "tls-unknown-ca-refused": "SKIP",
  });
  assert.match(report.results[0].detail ?? "", /allow-token-over-plaintext/);
});
