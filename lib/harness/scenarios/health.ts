/**
 * Health: `grpc.health.v1.Health/Check` answers `SERVING` without a token, so
 * load balancers and orchestrators can probe the server.
 *
 * @module
 */
import { checkHealth } from "../../client/health_client.ts";
import { outcomeOfError } from "./_calls.ts";
import type { Scenario } from "./scenario.ts";

/** The health scenario. */
export function healthScenarios(): Scenario[] {
  return [{
    name: "health-check-serving-without-token",
    group: "health",
    expected: "SERVING",
    async run(ctx) {
      try {
        const status = await checkHealth({
          target: ctx.target,
          tls: ctx.tls,
          deadlineMs: ctx.deadlineMs,
        });
        return { got: status, pass: status === "SERVING" };
      } catch (error) {
        return outcomeOfError("SERVING", error);
      }
    },
  }];
}
