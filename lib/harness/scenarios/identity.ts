/**
 * Identity: a server verifying tokens from an OpenID provider must refuse
 * tokens from another issuer, with an unknown `kid`, signed by a key the
 * provider removed, expired or for another audience, and the classic
 * "HS256 signed with the public key" confusion (`UNAUTHENTICATED`); it must
 * answer `PERMISSION_DENIED` to a valid token missing the required scope and
 * `OK` with it; and it must accept every key the provider publishes, so a
 * rotation during a run breaks nothing.
 *
 * Scenarios that sign their own tokens need the provider's private keys
 * (`signing-key`, `retired-key`, `two-signing-keys`); a harness holding only
 * a client id and secret skips them, with the reason.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as jose from "jose";
import { mintWithKey } from "../identity_material.ts";
import { authorization, expectStatus } from "./_calls.ts";
import type { Scenario, ScenarioContext, ScenarioNeed, ScenarioOutcome } from "./scenario.ts";

const HOUR = 3600;

interface IdentityCase {
  readonly name: string;
  readonly expected: "UNAUTHENTICATED" | "PERMISSION_DENIED" | "OK";
  readonly needs: readonly ScenarioNeed[];
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

/** Calls `SayHello` with `token` and judges the status. */
function callWith(ctx: ScenarioContext, token: string, expected: string) {
  return expectStatus(expected, async () => {
    const metadata = authorization(new grpc.Metadata(), `Bearer ${token}`);
    return (await ctx.bare.sayHello({ name: "Ada" }, { metadata })).message;
  });
}

function material(ctx: ScenarioContext) {
  if (ctx.identity === undefined) throw new Error("no identity provider material in this run");
  return ctx.identity;
}

/** Claims a valid provider token for this server carries, at `now`. */
function validClaims(ctx: ScenarioContext, scope?: string) {
  const identity = material(ctx);
  return {
    issuer: ctx.issuer,
    audience: ctx.audience,
    subject: ctx.subject,
    issuedAt: Math.floor(ctx.now() / 1000),
    ttlSeconds: 300,
    scope: scope ?? identity.requiredScope,
  };
}

const CASES: readonly IdentityCase[] = [
  {
    name: "identity-other-issuer",
    expected: "UNAUTHENTICATED",
    needs: ["send-token", "signing-key"],
    run: async (ctx) => {
      const key = material(ctx).signingKeys[0];
      const token = await mintWithKey(key, {
        ...validClaims(ctx),
        issuer: `${ctx.issuer}/other`,
      });
      return await callWith(ctx, token, "UNAUTHENTICATED");
    },
  },
  {
    name: "identity-unknown-kid",
    expected: "UNAUTHENTICATED",
    needs: ["send-token", "provider-keys"],
    // Right claims, a key the provider never had, and a kid it never published.
    run: async (ctx) => {
      const { privateKey } = await jose.generateKeyPair("ES256", { extractable: true });
      const jwk = { ...await jose.exportJWK(privateKey), alg: "ES256", kid: crypto.randomUUID() };
      return await callWith(ctx, await mintWithKey(jwk, validClaims(ctx)), "UNAUTHENTICATED");
    },
  },
  {
    name: "identity-key-removed",
    expected: "UNAUTHENTICATED",
    needs: ["send-token", "retired-key"],
    run: async (ctx) => {
      const key = material(ctx).retiredKeys[0];
      return await callWith(ctx, await mintWithKey(key, validClaims(ctx)), "UNAUTHENTICATED");
    },
  },
  {
    name: "identity-expired",
    expected: "UNAUTHENTICATED",
    needs: ["send-token", "signing-key"],
    run: async (ctx) => {
      const key = material(ctx).signingKeys[0];
      const now = Math.floor(ctx.now() / 1000);
      const token = await mintWithKey(key, {
        ...validClaims(ctx),
        issuedAt: now - 2 * HOUR,
        ttlSeconds: HOUR,
      });
      return await callWith(ctx, token, "UNAUTHENTICATED");
    },
  },
  {
    name: "identity-wrong-audience",
    expected: "UNAUTHENTICATED",
    needs: ["send-token", "signing-key"],
    run: async (ctx) => {
      const key = material(ctx).signingKeys[0];
      const token = await mintWithKey(key, {
        ...validClaims(ctx),
        audience: `${ctx.audience}-other`,
      });
      return await callWith(ctx, token, "UNAUTHENTICATED");
    },
  },
  {
    name: "identity-hs256-with-public-key",
    expected: "UNAUTHENTICATED",
    needs: ["send-token", "provider-keys"],
    // Right claims, "signed" with HS256 using a published public key as the
    // HMAC secret: a server that lets the token's alg pick the key type
    // would accept it. Both spellings of the key are tried.
    run: async (ctx) => {
      const published = material(ctx).publicKeys[0];
      const pem = await jose.exportSPKI(
        await jose.importJWK(published, algOf(published), {
          extractable: true,
        }) as jose.CryptoKey,
      );
      const claims = validClaims(ctx);
      for (const secret of [pem, JSON.stringify(published)]) {
        const token = await new jose.SignJWT(
          claims.scope === undefined ? {} : { scope: claims.scope },
        )
          .setProtectedHeader({ alg: "HS256", ...(published.kid ? { kid: published.kid } : {}) })
          .setIssuer(claims.issuer).setAudience(claims.audience).setSubject(claims.subject)
          .setIssuedAt(claims.issuedAt).setExpirationTime(claims.issuedAt + claims.ttlSeconds)
          .sign(new TextEncoder().encode(secret));
        const outcome = await callWith(ctx, token, "UNAUTHENTICATED");
        if (!outcome.pass) return outcome;
      }
      return { got: "UNAUTHENTICATED", pass: true };
    },
  },
  {
    name: "identity-missing-scope",
    expected: "PERMISSION_DENIED",
    needs: ["send-token", "client-credentials", "required-scope"],
    run: async (ctx) => {
      const identity = material(ctx);
      const token = await identity.requestToken!("");
      const outcome = await callWith(ctx, token, "PERMISSION_DENIED");
      // The refusal must name the scope, so an operator can fix the grant.
      if (outcome.pass && !(outcome.detail ?? "").includes(identity.requiredScope!)) {
        return {
          ...outcome,
          pass: false,
          detail: `message does not name "${identity.requiredScope}": ${outcome.detail}`,
        };
      }
      return outcome;
    },
  },
  {
    name: "identity-right-scope",
    expected: "OK",
    needs: ["send-token", "client-credentials", "required-scope"],
    run: async (ctx) => {
      const identity = material(ctx);
      return await callWith(ctx, await identity.requestToken!(identity.requiredScope!), "OK");
    },
  },
  {
    name: "identity-every-published-key-accepted",
    expected: "OK",
    needs: ["send-token", "two-signing-keys"],
    // While a rotation is under way the provider publishes old and new keys;
    // a token signed by either must work.
    run: async (ctx) => {
      const keys = material(ctx).signingKeys;
      for (const key of keys) {
        const outcome = await callWith(ctx, await mintWithKey(key, validClaims(ctx)), "OK");
        if (!outcome.pass) return { ...outcome, detail: `key ${key.kid}: ${outcome.detail}` };
      }
      return { got: "OK", pass: true, detail: `${keys.length} keys` };
    },
  },
];

function algOf(jwk: jose.JWK): string {
  if (jwk.alg !== undefined) return jwk.alg;
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "OKP") return "EdDSA";
  return "ES256";
}

/** The identity scenarios, one call each. */
export function identityScenarios(): Scenario[] {
  return CASES.map((c): Scenario => ({
    name: c.name,
    group: "identity",
    expected: c.expected,
    needs: c.needs,
    run: c.run,
  }));
}
