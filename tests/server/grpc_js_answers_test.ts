/**
 * What the client gets and what the log says for calls grpc-js answers on its
 * own or that no interceptor would see: a wrong content-type, an unknown
 * method, an empty unary body, a declared 4 GiB message, an expired deadline,
 * health probes. Raw HTTP/2 requests, so nothing a client library does hides
 * the server's answer.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import type { LogRecord } from "@logtape/logtape";
import { polyfillHttp2Constants } from "../../lib/server/grpc_js_answers.ts";
import { createServerMetrics } from "../../lib/server/metrics.ts";
import { recordLogs, renderMessage } from "../_helpers/record_logs.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { h2Frame, hpackBlock } from "../../lib/bench/raw_http2.ts";
import { encodeHelloRequest, rawRequest } from "../_helpers/raw_request.ts";

/** The call line of `method` (a path), waiting until it is logged. */
async function lineFor(records: LogRecord[], method: string | RegExp): Promise<LogRecord> {
  const find = () =>
    records.find((r) =>
      typeof method === "string" ? r.properties.method === method : method.test(renderMessage(r))
    );
  await waitFor(() => find() !== undefined, `a log line for ${method}`);
  return find()!;
}

const SAY_HELLO = "/helloworld.Greeter/SayHello";
const FOUR_GIB_HEADER = new Uint8Array([0, 0xff, 0xff, 0xff, 0xff]);

interface Case {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** A HelloRequest, no message, a 4 GiB length prefix, or an empty health request. */
  body: "hello" | "none" | "4GiB" | "empty message";
  token?: boolean;
  status: number;
  grpcStatus?: string;
  logged: { status: string; level: string; details?: RegExp } | null;
}

const CASES: Case[] = [
  {
    name: "a wrong content-type is answered 415 (the constant Deno lacks is polyfilled)",
    path: SAY_HELLO,
    headers: { "content-type": "text/plain" },
    body: "hello",
    status: 415,
    logged: null,
  },
  {
    name: "an unknown method is answered UNIMPLEMENTED and logged as a warning",
    path: "/helloworld.Greeter/NoSuchMethod",
    body: "hello",
    status: 200,
    grpcStatus: "12",
    logged: { status: "UNIMPLEMENTED", level: "warning", details: /NoSuchMethod/ },
  },
  {
    name: "a unary call with an empty body is logged as a warning, not an error",
    path: SAY_HELLO,
    body: "none",
    token: true,
    status: 200,
    grpcStatus: "12",
    logged: { status: "UNIMPLEMENTED", level: "warning" },
  },
  {
    name: "a declared 4 GiB message is logged RESOURCE_EXHAUSTED, as answered",
    path: SAY_HELLO,
    body: "4GiB",
    token: true,
    status: 200,
    grpcStatus: "8",
    logged: { status: "RESOURCE_EXHAUSTED", level: "warning" },
  },
  {
    name: "an expired deadline is logged DEADLINE_EXCEEDED, as answered",
    path: "/helloworld.Greeter/SayHelloStream",
    headers: { "grpc-timeout": "300m" },
    body: "hello",
    token: true,
    status: 200,
    grpcStatus: "4",
    logged: { status: "DEADLINE_EXCEEDED", level: "warning" },
  },
  {
    name: "a health check is answered SERVING and logged at debug",
    path: "/grpc.health.v1.Health/Check",
    body: "empty message",
    status: 200,
    grpcStatus: "0",
    logged: { status: "OK", level: "debug" },
  },
];

Deno.test("the Deno runtime still lacks HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE, or the polyfill is a no-op", () => {
  polyfillHttp2Constants();
  assert.equal(http2.constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE, 415);
  assert.equal(polyfillHttp2Constants(), false, "a second call changes nothing");
});

for (const metricsOn of [false, true]) {
  Deno.test(
    `calls grpc-js answers alone get the right answer and a true log line, metrics ${
      metricsOn ? "on (the metrics stage outermost)" : "off"
    }`,
    (t) => answersAlone(t, metricsOn),
  );
}

async function answersAlone(t: Deno.TestContext, metricsOn: boolean) {
  await using logs = await recordLogs();
  await using server = await startTestServer({
    streamIntervalMs: 200,
    ...(metricsOn ? { metrics: createServerMetrics({ processMetrics: false }) } : {}),
  });
  const token = await server.token();
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const body = c.body === "hello"
        ? encodeHelloRequest({ name: "raw", count: 50 })
        : c.body === "4GiB"
        ? FOUR_GIB_HEADER
        : c.body === "empty message"
        ? new Uint8Array([0, 0, 0, 0, 0])
        : null;
      const answer = await rawRequest(server.port, server.pki.caCert, c.path, {
        ...(c.token ? { authorization: `Bearer ${token}` } : {}),
        ...c.headers,
      }, body);
      assert.equal(answer.status, c.status, JSON.stringify(answer));
      assert.equal(answer.grpcStatus, c.grpcStatus, JSON.stringify(answer));
      if (c.logged === null) return;
      const line = await lineFor(
        logs.records,
        c.path.includes("NoSuchMethod") ? /NoSuchMethod/ : c.path,
      );
      assert.equal(line.properties.status, c.logged.status, renderMessage(line));
      assert.equal(line.level, c.logged.level, renderMessage(line));
      if (c.logged.details) assert.match(renderMessage(line), c.logged.details);
      logs.records.splice(0); // the next case looks for its own line
    });
  }
}

Deno.test("a call with two authorization headers is refused, whichever token comes first, and only names count", async (t) => {
  await using logs = await recordLogs();
  await using server = await startTestServer();
  const good = await server.token();
  const refused = { status: "UNAUTHENTICATED", details: "malformed bearer token" };
  const cases: [string, [string, string][], { status: string; details?: string }][] = [
    ["a valid token then a bad one", [["authorization", `Bearer ${good}`], [
      "authorization",
      "Bearer not-a-token",
    ]], refused],
    ["a bad token then a valid one", [["authorization", "Bearer not-a-token"], [
      "authorization",
      `Bearer ${good}`,
    ]], refused],
    ["the same valid token twice", [["authorization", `Bearer ${good}`], [
      "authorization",
      `Bearer ${good}`,
    ]], refused],
    // Only header names count: a value that reads "authorization" is not a second one.
    ["a valid token and another header whose value reads authorization", [
      ["authorization", `Bearer ${good}`],
      ["x-note", "authorization"],
    ], { status: "OK" }],
  ];
  for (const [name, extra, expected] of cases) {
    await t.step(`${name}: ${expected.status}`, async () => {
      logs.records.splice(0);
      const conn = await Deno.connectTls({
        hostname: "localhost",
        port: server.port,
        caCerts: [server.pki.caCert],
        alpnProtocols: ["h2"],
      });
      try {
        const block = hpackBlock([
          [":method", "POST"],
          [":scheme", "https"],
          [":path", SAY_HELLO],
          [":authority", `localhost:${server.port}`],
          ["content-type", "application/grpc"],
          ["te", "trailers"],
          ...extra,
        ]);
        await conn.write(new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        await conn.write(h2Frame(0x4, 0, 0, new Uint8Array())); // SETTINGS
        await conn.write(h2Frame(0x1, 0x4, 1, block)); // HEADERS, END_HEADERS
        await conn.write(h2Frame(0x0, 0x1, 1, encodeHelloRequest({ name: "dup", count: 0 })));
        const line = await lineFor(logs.records, SAY_HELLO);
        assert.equal(line.properties.status, expected.status, renderMessage(line));
        assert.equal(line.properties.details, expected.details);
      } finally {
        conn.close();
      }
    });
  }
});
