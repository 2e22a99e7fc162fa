/**
 * Call lifecycle: deadlines end calls with `DEADLINE_EXCEEDED`, a cancelled
 * stream ends with `CANCELLED` on the client, and a crowd of abandoned
 * streams does not stop the server from answering the next call.
 *
 * @module
 */
import { outcomeOfError, outcomeOfStatus } from "./_calls.ts";
import type { Scenario } from "./scenario.ts";

/** The lifecycle scenarios. */
export function lifecycleScenarios(): Scenario[] {
  return [
    {
      name: "bidi-left-open-past-deadline",
      group: "lifecycle",
      expected: "DEADLINE_EXCEEDED",
      needs: ["token"],
      async run(ctx) {
        const call = ctx.client!.sayHelloBidirectional({ deadlineMs: ctx.timings.shortDeadlineMs });
        await call.send({ name: "Ada" }).catch(() => {});
        // Never half-closed: only the deadline can end it.
        return outcomeOfStatus("DEADLINE_EXCEEDED", await call.status);
      },
    },
    {
      name: "client-stream-left-open-past-deadline",
      group: "lifecycle",
      expected: "DEADLINE_EXCEEDED",
      needs: ["token"],
      async run(ctx) {
        const call = ctx.client!.openClientStream({ deadlineMs: ctx.timings.shortDeadlineMs });
        await call.send({ name: "Ada" }).catch(() => {});
        try {
          const reply = await call.response;
          return { got: "OK", pass: false, detail: `replied before half-close: ${reply.message}` };
        } catch (error) {
          return outcomeOfError("DEADLINE_EXCEEDED", error);
        }
      },
    },
    {
      name: "bidi-cancelled-by-client",
      group: "lifecycle",
      expected: "CANCELLED",
      needs: ["token"],
      async run(ctx) {
        const call = ctx.client!.sayHelloBidirectional();
        await call.send({ name: "Ada" }).catch(() => {});
        // Not waiting for a reply: how the server paces replies is another scenario's business.
        call.cancel();
        return outcomeOfStatus("CANCELLED", await call.status);
      },
    },
    {
      name: "abandoned-streams-then-normal-call",
      group: "lifecycle",
      expected: "OK after many streams were opened and cancelled",
      needs: ["token"],
      async run(ctx) {
        const n = ctx.timings.abandonedStreams;
        const calls = Array.from({ length: n }, () => ctx.client!.sayHelloBidirectional());
        await Promise.all(calls.map((call) => call.send({ name: "Ada" }).catch(() => {})));
        for (const call of calls) call.cancel();
        await Promise.all(calls.map((call) => call.status));
        try {
          const reply = await ctx.client!.sayHello({ name: "Grace" });
          return { got: `OK after ${n} abandoned streams`, pass: reply.message.includes("Grace") };
        } catch (error) {
          const after = outcomeOfError("OK", error);
          return { ...after, got: `${after.got} after ${n} abandoned streams` };
        }
      },
    },
  ];
}
