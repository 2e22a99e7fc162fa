/**
 * The full conformance suite, in report order.
 *
 * @module
 */
import { authScenarios } from "./auth.ts";
import { expiryScenarios } from "./expiry.ts";
import { healthScenarios } from "./health.ts";
import { identityScenarios } from "./identity.ts";
import { lifecycleScenarios } from "./lifecycle.ts";
import { limitScenarios } from "./limits.ts";
import { patternScenarios } from "./patterns.ts";
import type { Scenario } from "./scenario.ts";
import { tlsScenarios } from "./tls.ts";
import { validationScenarios } from "./validation.ts";

export type { Scenario, ScenarioContext, ScenarioOutcome } from "./scenario.ts";

/**
 * Every scenario, grouped: patterns, auth, validation, limits, lifecycle,
 * TLS, expiry, health, identity. Names are unique and stable.
 *
 * @example
 * ```ts
 * const names = allScenarios().map((s) => s.name);
 * ```
 */
export function allScenarios(): Scenario[] {
  return [
    ...patternScenarios(),
    ...authScenarios(),
    ...validationScenarios(),
    ...limitScenarios(),
    ...lifecycleScenarios(),
    ...tlsScenarios(),
    ...expiryScenarios(),
    ...healthScenarios(),
    ...identityScenarios(),
  ];
}
