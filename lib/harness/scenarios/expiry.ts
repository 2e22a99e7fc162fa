/**
 * Token expiry during a long stream: the server must end a bidi stream with
 * `UNAUTHENTICATED` once the token it was opened with expires, and the
 * client library's provider must then hand out a fresh token so the next
 * call succeeds.
 *
 * @module
 */
import { createTokenProvider } from "../../client/token_provider.ts";
import { outcomeOfError, outcomeOfStatus, within } from "./_calls.ts";
import type { Scenario } from "./scenario.ts";

/** The mid-stream expiry scenario. */
export function expiryScenarios(): Scenario[] {
  return [{
    name: "bidi-token-expires-mid-stream",
    group: "expiry",
    expected: "UNAUTHENTICATED after expiry, then a new call is OK",
    needs: ["send-token", "secret"],
    async run(ctx) {
      const ttl = ctx.timings.expiryTtlSeconds;
      const provider = createTokenProvider({
        source: () => ctx.mintToken({ ttlSeconds: ttl }),
        now: () => ctx.now(),
      });
      const connection = ctx.connect({ tokenProvider: provider, allowTokenOverPlaintext: true });
      const opened = ctx.now();
      const call = connection.sayHelloBidirectional({
        deadlineMs: ttl * 1000 + ctx.timings.expiryGraceMs,
      });
      await call.send({ name: "Ada" }).catch(() => {});
      const first = await within(
        call.next().catch(() => undefined),
        ctx.timings.replyTimeoutMs,
        undefined,
      );
      // Keep the stream open (no half-close) until the server ends it.
      const status = await call.status;
      const elapsed = ctx.now() - opened;
      const verdict = outcomeOfStatus("UNAUTHENTICATED", status);
      if (!verdict.pass) {
        return {
          got: verdict.got,
          pass: false,
          detail: status.code === 4 // DEADLINE_EXCEEDED
            ? `stream still open ${elapsed} ms after opening with a ${ttl} s token`
            : verdict.detail,
        };
      }
      // Clocks may differ by a second; earlier than that, the token was refused outright.
      if (elapsed < (ttl - 1) * 1000) {
        return {
          got: `UNAUTHENTICATED after ${elapsed} ms`,
          pass: false,
          detail: `ended before the ${ttl} s token expired${first ? "" : " (no reply first)"}`,
        };
      }
      try {
        const reply = await connection.sayHello({ name: "Grace" });
        return {
          got: `UNAUTHENTICATED after ${(elapsed / 1000).toFixed(1)} s, then OK`,
          pass: reply.message.includes("Grace") && provider.fetches >= 2,
          detail: `${provider.fetches} tokens minted`,
        };
      } catch (error) {
        const after = outcomeOfError("OK", error);
        return { got: `UNAUTHENTICATED, then ${after.got}`, pass: false, detail: after.detail };
      }
    },
  }];
}
