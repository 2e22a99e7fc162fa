import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { callKind } from "../../lib/client/call_kind.ts";
import { createGreeterClient, statusOf } from "../../lib/client/greeter_client.ts";
import { createTokenProvider, staticTokenSource } from "../../lib/client/token_provider.ts";
import { RPC_KIND_INFO, RPC_KINDS, type RpcKind } from "../../lib/shared/rpc_kinds.ts";
import { startTestServer } from "../_helpers/test_server.ts";

const EXPECTED: Record<RpcKind, string[]> = {
  "unary": ["Hello, Ada!"],
  "server-stream": ["Hello, Ada! (1/2)", "Hello, Ada! (2/2)"],
  "client-stream": ["Hello, Ada, Grace!"],
  "bidi": ["Hello, Ada!", "Hello, Grace!"],
};

Deno.test("callKind makes one call of each RPC kind and returns its replies in order", async (t) => {
  await using server = await startTestServer();
  using client = createGreeterClient({
    target: `localhost:${server.port}`,
    tls: { ca: server.pki.caCert },
    tokenProvider: createTokenProvider({ source: staticTokenSource(await server.token()) }),
  });
  for (const kind of RPC_KINDS) {
    await t.step(`a ${RPC_KIND_INFO[kind].label} call returns every reply`, async () => {
      const replies = await callKind(client, kind, ["Ada", "Grace"], { count: 2 });
      assert.deepEqual(replies, EXPECTED[kind]);
    });
  }
  await t.step("a server stream without a count gets the server's default of 3", async () => {
    assert.equal((await callKind(client, "server-stream", ["Ada"])).length, 3);
  });
});

Deno.test("callKind rejects with the call's status on each RPC kind", async (t) => {
  await using server = await startTestServer();
  using client = createGreeterClient({
    target: `localhost:${server.port}`,
    tls: { ca: server.pki.caCert },
  });
  for (const kind of RPC_KINDS) {
    await t.step(
      `a ${RPC_KIND_INFO[kind].label} call without a token is UNAUTHENTICATED`,
      async () => {
        const error = await callKind(client, kind, ["Ada"]).then(() => undefined, (e) => e);
        assert.equal(statusOf(error), grpc.status.UNAUTHENTICATED, String(error));
      },
    );
  }
});
