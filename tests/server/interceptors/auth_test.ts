/**
 * The auth interceptor, end to end over TLS: every way a bearer token can be
 * wrong, on every RPC kind, is refused before the handler runs; a stream
 * outliving its token is ended; handlers see claims, never the token.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import type { GreeterCallContext, GreeterService } from "../../../lib/server/handlers/greeter.ts";
import type { HelloRequest__Output } from "../../../lib/shared/proto.ts";
import {
  bidiPingPong,
  callKind,
  type CallResult,
  serverStream,
  statusOf,
} from "../../_helpers/calls.ts";
import { startTestServer } from "../../_helpers/test_server.ts";
import { authMetadata, bearer, TEST_SUBJECT, type TokenKind } from "../../_helpers/tokens.ts";
import { RPC_KIND_INFO, RPC_KINDS, type RpcKind } from "../../../lib/shared/rpc_kinds.ts";

/** One handler invocation as the service saw it. */
interface SeenCall {
  method: string;
  context: GreeterCallContext;
  names: string[];
}

/** A Greeter that records every call and message reaching it, and otherwise greets. */
function recordingService(seen: SeenCall[]): GreeterService {
  const start = (method: string, context: GreeterCallContext): SeenCall => {
    const call = { method, context, names: [] };
    seen.push(call);
    return call;
  };
  return {
    // deno-lint-ignore require-await
    async sayHello(request, context) {
      start("sayHello", context).names.push(request.name);
      return { message: `Hello, ${request.name}!` };
    },
    async *sayHelloStream(request, context) {
      start("sayHelloStream", context).names.push(request.name);
      const count = request.count || 3;
      for (let i = 1; i <= count && !context.signal.aborted; i++) {
        if (i > 1) await new Promise((resolve) => setTimeout(resolve, 20));
        yield { message: `Hello, ${request.name}! (${i}/${count})` };
      }
    },
    async sayHelloClientStream(requests: AsyncIterable<HelloRequest__Output>, context) {
      const call = start("sayHelloClientStream", context);
      for await (const request of requests) call.names.push(request.name);
      return { message: `Hello, ${call.names.join(", ")}!` };
    },
    async *sayHelloBidirectional(requests: AsyncIterable<HelloRequest__Output>, context) {
      const call = start("sayHelloBidirectional", context);
      for await (const request of requests) {
        call.names.push(request.name);
        yield { message: `Hello, ${request.name}!` };
      }
    },
  };
}

/** How each bad credential is presented and the exact short reason the caller gets. */
const BAD_CREDENTIALS: readonly {
  label: string;
  token?: TokenKind;
  header?: (validToken: string) => string | undefined;
  reason: string;
}[] = [
  { label: "no token", header: () => undefined, reason: "missing bearer token" },
  { label: "a garbage token", header: () => "Bearer not-a-jwt", reason: "malformed bearer token" },
  {
    label: "`Bearer` with nothing after it",
    header: () => "Bearer",
    reason: "malformed bearer token",
  },
  { label: "the wrong scheme", header: (t) => `Basic ${t}`, reason: "malformed bearer token" },
  { label: "a bad signature", token: "bad-signature", reason: "invalid token signature" },
  { label: "an expired token", token: "expired", reason: "token expired" },
  { label: "a not-yet-valid token", token: "not-yet-valid", reason: "token not yet valid" },
  { label: "the wrong issuer", token: "wrong-issuer", reason: "token issuer not accepted" },
  { label: "the wrong audience", token: "wrong-audience", reason: "token audience not accepted" },
  { label: "an alg none token", token: "alg-none", reason: "token algorithm not allowed" },
  { label: "a token without sub", token: "missing-sub", reason: "token claims incomplete" },
];

Deno.test("auth interceptor rejects every bad credential on every RPC kind before the handler runs", async (t) => {
  const seen: SeenCall[] = [];
  await using server = await startTestServer({ service: recordingService(seen) });
  using client = server.client();
  const valid = await server.token();

  for (const { label, token, header, reason } of BAD_CREDENTIALS) {
    const presented = token === undefined ? header!(valid) : `Bearer ${await server.token(token)}`;
    for (const kind of RPC_KINDS) {
      await t.step(
        `auth interceptor rejects ${label} on a ${RPC_KIND_INFO[kind].label} call`,
        async () => {
          seen.length = 0;
          const result = await callKind(client, kind, ["first", "second"], {
            metadata: authMetadata(presented),
          });
          assert.equal(grpc.status[result.code], "UNAUTHENTICATED", result.details);
          assert.equal(result.details, reason);
          assert.deepEqual(result.messages, []);
          const secretPart = presented?.split(" ").pop() ?? "";
          if (secretPart.length > 8) assert.ok(!result.details.includes(secretPart));
          assert.deepEqual(seen, [], "the handler ran for a rejected call");
        },
      );
    }
  }

  await t.step("a valid token reaches the handler on every RPC kind, with its claims", async () => {
    for (const kind of RPC_KINDS) {
      seen.length = 0;
      const result = await callKind(client, kind, ["first", "second"], {
        metadata: bearer(valid),
        deadlineMs: 3000,
      });
      assert.ok(
        result.messages.length > 0,
        `${RPC_KIND_INFO[kind].label}: no reply (${result.details})`,
      );
      assert.equal(seen.length, 1, kind);
      assert.equal(seen[0].context.claims?.sub, TEST_SUBJECT, kind);
    }
  });
});

Deno.test("auth interceptor hands the handler claims and never the authorization metadata", async () => {
  const seen: SeenCall[] = [];
  await using server = await startTestServer({ service: recordingService(seen) });
  using client = server.client();
  const token = await server.token("valid", { subject: "alice@example" });
  const result = await serverStream(client, { name: "Ada", count: 2 }, {
    metadata: bearer(token),
  });
  assert.equal(grpc.status[result.code], "OK", result.details);
  assert.equal(seen.length, 1);
  const { context } = seen[0];
  assert.deepEqual(Object.keys(context).sort(), ["claims", "identity", "requestId", "signal"]);
  assert.equal(context.claims?.sub, "alice@example");
  assert.equal(context.claims?.iss, "greeter-test");
  const everything = JSON.stringify(context);
  assert.ok(!everything.includes(token), "the context carries the raw token");
  assert.ok(!everything.toLowerCase().includes("authorization"));
});

Deno.test("auth interceptor ends a stream that outlives its token with UNAUTHENTICATED", async (t) => {
  // Tolerance 0, so a stream ends at its token's exp (1-2 s after minting: exp is whole seconds).
  // Replies 100 ms apart keep a 100-reply server stream going for 10 s.
  await using server = await startTestServer({
    auth: { clockToleranceSeconds: 0 },
    streamIntervalMs: 100,
  });
  using client = server.client();
  const cases: { kind: RpcKind; run: (token: string) => Promise<CallResult> }[] = [
    {
      kind: "bidi",
      run: (token) =>
        bidiPingPong(client, [{ name: "early" }], {
          metadata: bearer(token),
          keepOpen: true,
          deadlineMs: 8000,
        }),
    },
    {
      kind: "server-stream",
      run: (token) =>
        serverStream(client, { name: "slow", count: 100 }, {
          metadata: bearer(token),
          deadlineMs: 8000,
        }),
    },
    {
      kind: "client-stream",
      run: async (token) => {
        const call = client.SayHelloClientStream(
          bearer(token),
          { deadline: Date.now() + 8000 },
          () => {},
        );
        call.write({ name: "early" });
        const status = await statusOf(call);
        call.end();
        return { code: status.code, details: status.details, messages: [] };
      },
    },
  ];
  for (const { kind, run } of cases) {
    await t.step(
      `auth interceptor ends a ${RPC_KIND_INFO[kind].label} call when its token expires`,
      async () => {
        const token = await server.token("valid", { ttlSeconds: 2 });
        const started = performance.now();
        const result = await run(token);
        const elapsed = performance.now() - started;
        assert.equal(grpc.status[result.code], "UNAUTHENTICATED", result.details);
        assert.equal(result.details, "token expired");
        assert.ok(elapsed > 500 && elapsed < 4000, `ended after ${Math.round(elapsed)} ms`);
        if (kind === "bidi") assert.deepEqual(result.messages, ["Hello, early!"]);
        if (kind === "server-stream") {
          assert.ok(result.messages.length >= 5 && result.messages.length < 100, "replies");
          assert.equal(result.messages[0], "Hello, slow! (1/100)");
        }
      },
    );
  }
});

Deno.test("auth interceptor keeps streams open for tokens valid longer than the longest timer", async (t) => {
  // setTimeout holds at most 2^31-1 ms (~24.8 days); a longer delay used to fire at once
  // and end every stream with "token expired".
  await using server = await startTestServer({
    streamIntervalMs: 20,
    auth: { maxLifetimeSeconds: 401 * 86_400 },
  });
  using client = server.client();
  for (const days of [25, 400]) {
    const token = await server.token("valid", { ttlSeconds: days * 86_400 });
    await t.step(`a server stream with a ${days}-day token gets every reply`, async () => {
      const result = await serverStream(client, { name: "long", count: 10 }, {
        metadata: bearer(token),
      });
      assert.equal(grpc.status[result.code], "OK", result.details);
      assert.equal(result.messages.length, 10);
    });
    await t.step(`a bidi ping-pong with a ${days}-day token completes`, async () => {
      const result = await bidiPingPong(client, [{ name: "a" }, { name: "b" }, { name: "c" }], {
        metadata: bearer(token),
      });
      assert.equal(grpc.status[result.code], "OK", result.details);
      assert.deepEqual(result.messages, ["Hello, a!", "Hello, b!", "Hello, c!"]);
    });
  }
});
