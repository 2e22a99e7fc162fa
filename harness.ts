/**
 * The conformance harness as a library: judge any `helloworld.Greeter`
 * server, in any language, from your own tests. `deno task client` is the
 * same harness on the command line.
 *
 * @example Every scenario against a server you started
 * ```ts
 * import {
 *   allScenarios,
 *   createScenarioContext,
 *   runScenarios,
 * } from "@greeter/deno-grpc/harness";
 * import { createTokenProvider, mintingTokenSource } from "@greeter/deno-grpc";
 *
 * const secret = new TextEncoder().encode(Deno.env.get("GREETER_JWT_SECRET"));
 * await using ctx = createScenarioContext({
 *   target: "localhost:50051",
 *   tls: { ca: await Deno.readTextFile("ca.pem") },
 *   tokenProvider: createTokenProvider({
 *     source: mintingTokenSource({ secret, issuer: "greeter", audience: "helloworld.Greeter" }),
 *   }),
 *   secret,
 * });
 * const report = await runScenarios(allScenarios(), ctx);
 * console.log(`${report.passed} passed, ${report.failed} failed`);
 * ```
 *
 * @module
 */
export {
  createScenarioContext,
  type OwnedScenarioContext,
  runScenarios,
  type RunScenariosOptions,
  type ScenarioContextOptions,
  UnknownScenarioError,
} from "./lib/harness/run_scenarios.ts";
export { allScenarios } from "./lib/harness/scenarios/all_scenarios.ts";
export {
  DEFAULT_TIMINGS,
  type MintClaims,
  type Scenario,
  type ScenarioContext,
  type ScenarioGroup,
  type ScenarioNeed,
  type ScenarioOutcome,
  type ScenarioTimings,
} from "./lib/harness/scenarios/scenario.ts";
export {
  exitCodeOf,
  type RunReport,
  type ScenarioResult,
  summaryLine,
  type Verdict,
} from "./lib/harness/report/run_report.ts";
export {
  type IdentityMaterial,
  loadIdentityMaterial,
  type LoadIdentityMaterialOptions,
} from "./lib/harness/identity_material.ts";
