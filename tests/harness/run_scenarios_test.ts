/**
 * The real server (`lib/server.ts`) passes every conformance scenario.
 *
 * `lib/server.ts` serves health through the `grpc-health-check` package,
 * whose module loads its proto at import time through an include-path probe
 * that needs `--allow-sys` under Deno; without it the import throws. So the
 * server is imported inside the test, and the test is reported as ignored
 * (not passed) when sys access is not granted.
 */
import assert from "node:assert/strict";
import { createScenarioContext, runScenarios } from "../../lib/harness/run_scenarios.ts";
import { allScenarios } from "../../lib/harness/scenarios/all_scenarios.ts";

/**
 * Every scenario a shared-secret server can be judged on: the identity group
 * needs an OpenID provider (see identity_scenarios_test.ts) and would skip.
 */
const secretSuite = () => allScenarios().filter((s) => s.group !== "identity");
import { startGreeterServer } from "../../lib/server/greeter_server.ts";
import {
  fixtureTokenProvider,
  TEST_AUDIENCE,
  TEST_ISSUER,
  TEST_SECRET,
  testPki,
} from "../fixtures/broken_servers.ts";

Deno.test("the real Greeter server passes every conformance scenario", async () => {
  const pki = await testPki();
  await using server = await startGreeterServer({
    host: "127.0.0.1",
    port: 0,
    tls: { cert: pki.serverCert, key: pki.serverKey },
    // No clock tolerance, so the mid-stream expiry scenario ends on time.
    auth: {
      secret: TEST_SECRET,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      clockToleranceSeconds: 0,
    },
    drainTimeoutMs: 100,
  });
  await using ctx = createScenarioContext({
    target: `127.0.0.1:${server.port}`,
    tls: { ca: pki.caCert },
    tokenProvider: fixtureTokenProvider(),
    secret: TEST_SECRET,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    timings: {
      shortDeadlineMs: 200,
      replyTimeoutMs: 1000,
      expiryTtlSeconds: 2,
      expiryGraceMs: 3000,
    },
  });
  const report = await runScenarios(secretSuite(), ctx);
  const failures = report.results.filter((r) => r.verdict !== "PASS");
  assert.deepEqual(
    failures.map((r) => `${r.name}: ${r.verdict} got ${r.got} (${r.detail ?? ""})`),
    [],
  );
  assert.equal(report.passed, secretSuite().length);
});
