/**
 * Authentication: every pattern must answer `UNAUTHENTICATED` to a missing,
 * malformed, forged, expired, not-yet-valid, wrongly addressed or unsigned
 * token.
 *
 * Tokens that only differ from a valid one in one claim need the real secret
 * (so the claim is the only thing wrong); without it those scenarios are
 * skipped. Tokens that are wrong regardless of the secret (garbage, another
 * key's signature, `alg: none`) are made here.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { RPC_KINDS } from "../../shared/rpc_kinds.ts";
import { callKind } from "../../client/call_kind.ts";
import { authorization, expectStatus } from "./_calls.ts";
import type { Scenario, ScenarioContext, ScenarioNeed } from "./scenario.ts";

interface BadToken {
  /** Scenario name suffix. */
  readonly kind: string;
  /** Needs beyond the call itself. */
  readonly needs: readonly ScenarioNeed[];
  /** The `authorization` header value, or `null` to send none. */
  header(ctx: ScenarioContext): Promise<string | null>;
}

const HOUR = 3600;

const BAD_TOKENS: readonly BadToken[] = [
  { kind: "no-token", needs: [], header: () => Promise.resolve(null) },
  {
    kind: "garbage-token",
    needs: ["send-token"],
    header: () => Promise.resolve("Bearer not-a-jwt"),
  },
  {
    kind: "bad-signature",
    needs: ["send-token"],
    // Right claims, signed with a key the server cannot know.
    header: async (ctx) =>
      `Bearer ${await ctx.mintToken({ secret: crypto.getRandomValues(new Uint8Array(32)) })}`,
  },
  {
    kind: "expired-token",
    needs: ["send-token", "secret"],
    header: async (ctx) => {
      const now = Math.floor(ctx.now() / 1000);
      return `Bearer ${await ctx.mintToken({ issuedAt: now - 2 * HOUR, ttlSeconds: HOUR })}`;
    },
  },
  {
    kind: "not-yet-valid-token",
    needs: ["send-token", "secret"],
    header: async (ctx) => {
      const now = Math.floor(ctx.now() / 1000);
      return `Bearer ${await ctx.mintToken({ notBefore: now + HOUR, ttlSeconds: 2 * HOUR })}`;
    },
  },
  {
    kind: "wrong-issuer",
    needs: ["send-token", "secret"],
    header: async (ctx) => `Bearer ${await ctx.mintToken({ issuer: `not-${ctx.issuer}` })}`,
  },
  {
    kind: "wrong-audience",
    needs: ["send-token", "secret"],
    header: async (ctx) => `Bearer ${await ctx.mintToken({ audience: `not-${ctx.audience}` })}`,
  },
  {
    kind: "alg-none",
    needs: ["send-token"],
    // Valid claims, no signature: a server trusting the header's `alg` would accept it.
    header: (ctx) => Promise.resolve(`Bearer ${unsignedToken(ctx)}`),
  },
];

/** `<rpc kind>-<bad token>` for each RPC kind and each kind of bad token: 32 scenarios. */
export function authScenarios(): Scenario[] {
  return RPC_KINDS.flatMap((rpcKind) =>
    BAD_TOKENS.map((bad): Scenario => ({
      name: `${rpcKind}-${bad.kind}`,
      group: "auth",
      expected: "UNAUTHENTICATED",
      needs: bad.needs,
      async run(ctx) {
        const header = await bad.header(ctx);
        const metadata = header === null
          ? new grpc.Metadata()
          : authorization(new grpc.Metadata(), header);
        return await expectStatus(
          "UNAUTHENTICATED",
          () => callKind(ctx.bare, rpcKind, ["Ada"], { metadata, count: 2 }),
        );
      },
    }))
  );
}

function unsignedToken(ctx: ScenarioContext): string {
  const now = Math.floor(ctx.now() / 1000);
  const encode = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const header = encode({ alg: "none", typ: "JWT" });
  const payload = encode({
    sub: ctx.subject,
    iss: ctx.issuer,
    aud: ctx.audience,
    iat: now,
    exp: now + HOUR,
  });
  return `${header}.${payload}.`;
}
