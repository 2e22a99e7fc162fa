/**
 * Message size: a request over the server's 4 MiB receive limit must be
 * refused with `RESOURCE_EXHAUSTED`, and the server must keep serving.
 *
 * @module
 */
import { outcomeOfError } from "./_calls.ts";
import type { Scenario } from "./scenario.ts";

const FIVE_MIB = 5 * 1024 * 1024;

/** The oversized-message scenario. */
export function limitScenarios(): Scenario[] {
  return [{
    name: "unary-oversized-message-then-normal-call",
    group: "limits",
    expected: "RESOURCE_EXHAUSTED, then a normal call is OK",
    needs: ["token"],
    async run(ctx) {
      const client = ctx.client!;
      let first;
      try {
        await client.sayHello({ name: "x".repeat(FIVE_MIB) });
        first = { got: "OK", pass: false, detail: "a 5 MiB request was accepted" };
      } catch (error) {
        first = outcomeOfError("RESOURCE_EXHAUSTED", error);
      }
      if (!first.pass) return first;
      try {
        const reply = await client.sayHello({ name: "Ada" });
        return { got: "RESOURCE_EXHAUSTED, then OK", pass: reply.message.includes("Ada") };
      } catch (error) {
        const after = outcomeOfError("OK", error);
        return { got: `RESOURCE_EXHAUSTED, then ${after.got}`, pass: false, detail: after.detail };
      }
    },
  }];
}
