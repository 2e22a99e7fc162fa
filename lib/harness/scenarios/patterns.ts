/**
 * The four RPC patterns with a valid token: content and order of the replies.
 *
 * The checks follow the contract in `protos/greeter.proto`, not one server's
 * wording: a reply must contain the name(s), in order; the server stream
 * sends `count` replies; bidi answers each request before the next is sent.
 *
 * @module
 */
import { outcomeOfError, within } from "./_calls.ts";
import type { Scenario, ScenarioOutcome } from "./scenario.ts";

const NAMES = ["Ada", "Grace", "Linus"] as const;

/** The four valid-token scenarios. */
export function patternScenarios(): Scenario[] {
  return [
    {
      name: "unary-valid-token",
      group: "patterns",
      expected: "OK, reply contains the name",
      needs: ["token"],
      async run(ctx) {
        try {
          const reply = await ctx.client!.sayHello({ name: "Ada" });
          return judge(
            reply.message.includes("Ada"),
            `OK: ${reply.message}`,
            "reply lacks the name",
          );
        } catch (error) {
          return outcomeOfError("OK", error);
        }
      },
    },
    {
      name: "unary-name-of-256-characters-accepted",
      group: "patterns",
      expected: "OK for a 256-character name (code points, not bytes)",
      needs: ["token"],
      async run(ctx) {
        const name = "é".repeat(256);
        try {
          const reply = await ctx.client!.sayHello({ name });
          return judge(reply.message.includes(name), "OK", "reply lacks the name");
        } catch (error) {
          return outcomeOfError("OK", error);
        }
      },
    },
    {
      name: "server-stream-valid-token",
      group: "patterns",
      expected: "OK, 5 replies in order, each with the name",
      needs: ["token"],
      async run(ctx) {
        const replies: string[] = [];
        try {
          for await (const reply of ctx.client!.sayHelloStream({ name: "Ada", count: 5 })) {
            replies.push(reply.message);
          }
        } catch (error) {
          return { ...outcomeOfError("OK", error), detail: `after ${replies.length} replies` };
        }
        const got = `OK (${replies.length} replies)`;
        if (replies.length !== 5) return { got, pass: false, detail: replies.join(" | ") };
        if (!replies.every((r) => r.includes("Ada"))) {
          return { got, pass: false, detail: `a reply lacks the name: ${replies.join(" | ")}` };
        }
        // Replies that number themselves ("(i/n)") must count up from 1.
        const indices = replies.map((r) => /\((\d+)\s*\/\s*(\d+)\)/.exec(r)?.[1]);
        if (indices.every((i) => i !== undefined)) {
          const inOrder = indices.every((i, k) => Number(i) === k + 1);
          if (!inOrder) return { got, pass: false, detail: `out of order: ${replies.join(" | ")}` };
        }
        return { got, pass: true };
      },
    },
    {
      name: "client-stream-valid-token",
      group: "patterns",
      expected: "OK, one reply naming all 3, in order",
      needs: ["token"],
      async run(ctx) {
        try {
          const reply = await ctx.client!.sayHelloClientStream(NAMES.map((name) => ({ name })));
          const positions = NAMES.map((name) => reply.message.indexOf(name));
          const ok = positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]));
          return judge(ok, `OK: ${reply.message}`, "names missing or out of order");
        } catch (error) {
          return outcomeOfError("OK", error);
        }
      },
    },
    {
      name: "bidi-ping-pong-valid-token",
      group: "patterns",
      expected: "OK, each reply arrives before the next request",
      needs: ["token"],
      async run(ctx): Promise<ScenarioOutcome> {
        const call = ctx.client!.sayHelloBidirectional();
        const timeout = ctx.timings.replyTimeoutMs;
        try {
          for (const [i, name] of NAMES.entries()) {
            await call.send({ name });
            const reply = await within(call.next(), timeout, "timeout" as const);
            if (reply === "timeout") {
              call.cancel();
              return {
                got: `no reply to request ${i + 1} within ${timeout} ms`,
                pass: false,
                detail: "replies are not sent as each request arrives",
              };
            }
            if (reply === undefined) return { got: `stream ended after ${i} replies`, pass: false };
            if (!reply.message.includes(name)) {
              call.cancel();
              return {
                got: `reply ${i + 1}: ${reply.message}`,
                pass: false,
                detail: `expected ${name}`,
              };
            }
          }
          call.end();
          const extra = await call.next();
          if (extra !== undefined) return { got: `extra reply: ${extra.message}`, pass: false };
          return { got: "OK (3 ping-pong rounds)", pass: true };
        } catch (error) {
          call.cancel();
          return outcomeOfError("OK", error);
        }
      },
    },
  ];
}

function judge(ok: boolean, got: string, whyNot: string): ScenarioOutcome {
  return ok ? { got, pass: true } : { got, pass: false, detail: whyNot };
}
