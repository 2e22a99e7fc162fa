/**
 * The interceptor chain as a whole: logging is outermost, so every call is
 * logged (rejected ones too) with its method, peer, status, duration, message
 * counts, request id and subject; tokens never reach the log; the request id
 * goes back to the caller in headers and trailers.
 */
import * as grpc from "@grpc/grpc-js";
import type { LogRecord } from "@logtape/logtape";
import assert from "node:assert/strict";
import { callKind, type CallResult } from "../../_helpers/calls.ts";
import { recordLogs, renderMessage } from "../../_helpers/record_logs.ts";
import { startTestServer } from "../../_helpers/test_server.ts";
import { authMetadata, bearer, TEST_SUBJECT } from "../../_helpers/tokens.ts";
import { waitFor } from "../../_helpers/wait_for.ts";
import { RPC_KIND_INFO, RPC_KINDS, type RpcKind } from "../../../lib/shared/rpc_kinds.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The id the server sent back, after checking headers (when sent) and trailers agree. */
function returnedRequestId(result: CallResult): string {
  const inTrailers = result.trailers?.get("x-request-id") ?? [];
  assert.equal(inTrailers.length, 1, "no x-request-id trailer");
  const id = String(inTrailers[0]);
  assert.match(id, UUID);
  if (result.headers !== undefined && result.headers.get("x-request-id").length > 0) {
    assert.deepEqual(result.headers.get("x-request-id"), [id], "headers and trailers disagree");
  }
  return id;
}

/** The one call line logged for `requestId`. */
async function callLine(records: LogRecord[], requestId: string): Promise<LogRecord> {
  const lines = () =>
    records.filter((r) => r.properties.requestId === requestId && "method" in r.properties);
  await waitFor(() => lines().length > 0, `the call line for ${requestId}`);
  assert.equal(lines().length, 1, "more than one call line");
  return lines()[0];
}

Deno.test("logging interceptor logs a call the auth interceptor rejects, as UNAUTHENTICATED", async (t) => {
  await using logs = await recordLogs();
  await using server = await startTestServer();
  using client = server.client();
  for (const kind of RPC_KINDS) {
    await t.step(
      `a ${RPC_KIND_INFO[kind].label} call without a token is logged as UNAUTHENTICATED`,
      async () => {
        const result = await callKind(client, kind, ["a", "b"], {
          metadata: authMetadata(undefined),
        });
        assert.equal(grpc.status[result.code], "UNAUTHENTICATED");
        const line = await callLine(logs.records, returnedRequestId(result));
        assert.equal(line.level, "warning");
        assert.equal(line.properties.method, RPC_KIND_INFO[kind].path);
        assert.equal(line.properties.status, "UNAUTHENTICATED");
        assert.equal(line.properties.sub, "-", "a rejected call has no subject, and says so");
        assert.equal(line.properties.messagesOut, 0);
        assert.equal(line.properties.details, "missing bearer token", "the reason is logged");
        assert.match(renderMessage(line), /UNAUTHENTICATED .* details=missing bearer token$/);
      },
    );
  }
});

Deno.test("logging interceptor logs method, peer, status, duration, message counts, request id and sub", async (t) => {
  await using logs = await recordLogs();
  await using server = await startTestServer();
  using client = server.client();
  const metadata = bearer(await server.token());
  const cases: { kind: RpcKind; names: string[]; in: number; out: number }[] = [
    { kind: "unary", names: ["a"], in: 1, out: 1 },
    { kind: "server-stream", names: ["a"], in: 1, out: 3 },
    { kind: "client-stream", names: ["a", "b", "c"], in: 3, out: 1 },
    { kind: "bidi", names: ["a", "b"], in: 2, out: 2 },
  ];
  for (const { kind, names, in: messagesIn, out: messagesOut } of cases) {
    await t.step(`a ${RPC_KIND_INFO[kind].label} call's log line has every field`, async () => {
      const result = await callKind(client, kind, names, { metadata, deadlineMs: 3000 });
      assert.equal(grpc.status[result.code], "OK", result.details);
      const line = await callLine(logs.records, returnedRequestId(result));
      const { properties } = line;
      assert.equal(line.level, "info");
      assert.deepEqual(line.category, ["greeter", "server", "call"]);
      assert.deepEqual(
        {
          method: properties.method,
          status: properties.status,
          messagesIn: properties.messagesIn,
          messagesOut: properties.messagesOut,
          sub: properties.sub,
        },
        {
          method: RPC_KIND_INFO[kind].path,
          status: "OK",
          messagesIn,
          messagesOut,
          sub: TEST_SUBJECT,
        },
      );
      assert.match(String(properties.peer), /^(127\.0\.0\.1|\[::1\]|::1):\d+$/);
      assert.equal(typeof properties.durationMs, "number");
      assert.ok((properties.durationMs as number) >= 0 && (properties.durationMs as number) < 3000);
      const text = renderMessage(line);
      for (
        const part of [RPC_KIND_INFO[kind].path, "OK", String(properties.requestId), TEST_SUBJECT]
      ) {
        assert.ok(text.includes(part), `the rendered line lacks ${part}: ${text}`);
      }
    });
  }
  await t.step("every call gets its own request id", () => {
    const ids = logs.records.map((r) => r.properties.requestId).filter((id) => id !== undefined);
    assert.ok(ids.length >= 4);
    assert.equal(new Set(ids).size, ids.length);
  });
});

Deno.test("no log record carries a token or the authorization header", async () => {
  await using logs = await recordLogs();
  await using server = await startTestServer({ auth: { clockToleranceSeconds: 0 } });
  using client = server.client();
  const tokens = [
    await server.token("valid"),
    await server.token("bad-signature"),
    await server.token("expired"),
    await server.token("wrong-audience"),
    await server.token("alg-none"),
  ];
  for (const token of tokens) {
    for (const kind of RPC_KINDS) {
      await callKind(client, kind, ["x", " "], { metadata: bearer(token), deadlineMs: 3000 });
    }
  }
  await callKind(client, "unary", ["x"], { metadata: authMetadata("Bearer not-a-jwt") });
  await callKind(client, "unary", ["x"], { metadata: authMetadata(`Basic ${tokens[0]}`) });
  await waitFor(() => logs.records.length >= tokens.length * 4 + 2, "a call line per call");

  const needles = [
    ...tokens,
    ...tokens.map((token) => token.split(".")[2]).filter((sig) => sig.length > 10),
    "not-a-jwt",
    "authorization",
    // The header's value as sent ("Bearer <token>"); the reasons logged for
    // rejected calls ("malformed bearer token") may name the scheme.
    ...tokens.map((token) => `bearer ${token.slice(0, 8)}`),
    `basic ${tokens[0].slice(0, 8)}`,
  ];
  for (const record of logs.records) {
    const haystack = [
      renderMessage(record),
      JSON.stringify(record.rawMessage),
      JSON.stringify(
        record.properties,
        (_key, value) => value instanceof Error ? `${value.message} ${value.stack}` : value,
      ),
    ].join("\n").toLowerCase();
    for (const needle of needles) {
      assert.ok(
        !haystack.includes(needle.toLowerCase()),
        `a log record contains ${needle.slice(0, 20)}...: ${renderMessage(record)}`,
      );
    }
  }
});
