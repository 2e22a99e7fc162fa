/**
 * The interceptor chain on a plain grpc-js server (not the Greeter server):
 * options are refused when the chain is built, the stages come in the
 * documented order, and handlers of every kind read the request id and the
 * verified claims with `callContext(call)` alone.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { signToken } from "../../../lib/auth/jwt.ts";
import { callContext } from "../../../lib/server/call_context.ts";
import {
  createInterceptorChain,
  INTERCEPTOR_ORDER,
  type InterceptorChainOptions,
} from "../../../lib/server/interceptors/interceptor_chain.ts";
import { REQUEST_ID_HEADER } from "../../../lib/server/interceptors/logging.ts";
import { createServerMetrics } from "../../../lib/server/metrics.ts";
import { trace } from "@opentelemetry/api";
import type { GreeterHandlers } from "../../../lib/shared/proto.ts";
import { RPC_KIND_INFO, RPC_KINDS } from "../../../lib/shared/rpc_kinds.ts";
import { callKind } from "../../_helpers/calls.ts";
import { recordLogs, renderMessage } from "../../_helpers/record_logs.ts";
import { startPlainServer } from "../../_helpers/test_server.ts";
import {
  bearer,
  randomSecret,
  TEST_AUDIENCE,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../../_helpers/tokens.ts";

const secret = randomSecret();
const auth = { secret, issuer: TEST_ISSUER, audience: TEST_AUDIENCE };

Deno.test("interceptor chain refuses bad options when it is built, naming the option", async (t) => {
  const cases: { name: string; options: InterceptorChainOptions; error: RegExp }[] = [
    {
      name: "a secret shorter than 32 bytes",
      options: { auth: { ...auth, secret: new Uint8Array(16) } },
      error: /JWT secret is 16 bytes/,
    },
    { name: "an empty issuer", options: { auth: { ...auth, issuer: "" } }, error: /auth issuer/ },
    {
      name: "a blank audience",
      options: { auth: { ...auth, audience: "  " } },
      error: /auth audience/,
    },
    {
      name: "a negative clock tolerance",
      options: { auth: { ...auth, clockToleranceSeconds: -1 } },
      error: /clockToleranceSeconds must be between 0 and 300, got -1/,
    },
    {
      name: "a clock tolerance over 300 seconds",
      options: { auth: { ...auth, clockToleranceSeconds: 301 } },
      error: /clockToleranceSeconds/,
    },
    {
      name: "a NaN clock tolerance",
      options: { auth: { ...auth, clockToleranceSeconds: NaN } },
      error: /clockToleranceSeconds/,
    },
    {
      name: "a public service that is a path, not a name",
      options: { auth: { ...auth, publicServices: ["/grpc.health.v1.Health/"] } },
      error: /publicServices/,
    },
    {
      name: "the `none` algorithm",
      options: { auth: { ...auth, algorithms: ["none" as "HS256"] } },
      error: /JWT algorithm none cannot be used/,
    },
  ];
  for (const { name, options, error } of cases) {
    await t.step(`it refuses ${name}`, () => {
      assert.throws(() => createInterceptorChain(options), error);
    });
  }
});

Deno.test("interceptor chain holds the stages asked for, in the documented order", async (t) => {
  assert.deepEqual(INTERCEPTOR_ORDER, ["metrics", "logging", "tracing", "auth"]);
  const metrics = createServerMetrics({ processMetrics: false });
  const tracer = trace.getTracer("test");
  const cases: { name: string; options: InterceptorChainOptions; stages: string[] }[] = [
    { name: "logging alone by default (tracing is off here)", options: {}, stages: ["logging"] },
    { name: "logging and auth when auth is given", options: { auth }, stages: ["logging", "auth"] },
    { name: "auth alone when logging is off", options: { auth, logging: false }, stages: ["auth"] },
    { name: "nothing when both are off", options: { auth: null, logging: false }, stages: [] },
    {
      name: "all four when metrics and a tracer are given",
      options: { auth, metrics, tracing: { tracer } },
      stages: ["metrics", "logging", "tracing", "auth"],
    },
    {
      name: "no tracing when it is turned off",
      options: { metrics, tracing: false },
      stages: ["metrics", "logging"],
    },
  ];
  for (const { name, options, stages } of cases) {
    await t.step(`it holds ${name}, in one grpc-js interceptor`, () => {
      const chain = createInterceptorChain(options);
      assert.equal(chain.length, stages.length === 0 ? 0 : 1);
      assert.deepEqual(chain[0]?.stages ?? [], stages);
    });
  }
});

/** Handlers that answer with what `callContext` told them: `<sub>|<request id>`. */
function contextEchoHandlers(): GreeterHandlers {
  const echo = (call: { metadata: grpc.Metadata }) => {
    const { claims, requestId } = callContext(call);
    return { message: `${claims?.sub ?? "-"}|${requestId}` };
  };
  return {
    SayHello: (call, callback) => callback(null, echo(call)),
    SayHelloStream(call) {
      call.write(echo(call));
      call.end();
    },
    SayHelloClientStream(call, callback) {
      call.on("data", () => {});
      call.on("end", () => callback(null, echo(call)));
    },
    SayHelloBidirectional(call) {
      call.on("data", () => call.write(echo(call)));
      call.on("end", () => call.end());
    },
  };
}

/** A user's own grpc-js server over TLS on port 0, with the chain and the echo handlers. */
function startChainServer(options: InterceptorChainOptions) {
  return startPlainServer(createInterceptorChain(options), contextEchoHandlers());
}

Deno.test("callContext gives handlers of every kind the verified subject and the logged request id", async (t) => {
  await using logs = await recordLogs();
  await using chain = await startChainServer({ auth });
  const token = await signToken({ ...auth, subject: TEST_SUBJECT });
  for (const kind of RPC_KINDS) {
    const label = RPC_KIND_INFO[kind].label;
    await t.step(`a ${label} handler sees the caller and the request id`, async () => {
      const result = await callKind(chain.client, kind, ["a"], { metadata: bearer(token) });
      assert.equal(result.code, grpc.status.OK, result.details);
      const [sub, requestId] = result.messages[0].split("|");
      assert.equal(sub, TEST_SUBJECT);
      assert.equal(requestId, result.trailers?.get(REQUEST_ID_HEADER)[0]);
      assert.ok(
        logs.records.some((r) => renderMessage(r).includes(`id=${requestId} sub=${TEST_SUBJECT}`)),
        "the call's log line carries the same request id and subject",
      );
    });
  }
  await t.step(
    "a call without a token is refused before the handler and still logged",
    async () => {
      const result = await callKind(chain.client, "unary", ["a"]);
      assert.equal(result.code, grpc.status.UNAUTHENTICATED);
      assert.equal(result.details, "missing bearer token");
      assert.deepEqual(result.messages, []);
      assert.ok(logs.records.some((r) => renderMessage(r).includes("UNAUTHENTICATED")));
    },
  );
});

Deno.test("interceptor chain passes its one clock tolerance to token verification", async (t) => {
  // A token that expired 3 s ago: inside a 5 s tolerance, outside a 0 s one.
  const now = () => Date.now();
  const issuedAt = Math.floor(now() / 1000) - 63;
  const token = await signToken({ ...auth, subject: TEST_SUBJECT, issuedAt, ttlSeconds: 60 });
  const cases = [
    { tolerance: 5, code: grpc.status.OK },
    { tolerance: 0, code: grpc.status.UNAUTHENTICATED },
  ];
  for (const { tolerance, code } of cases) {
    await t.step(
      `a token 3 s past expiry gets ${grpc.status[code]} with a ${tolerance} s tolerance`,
      async () => {
        await using chain = await startChainServer({
          auth: { ...auth, clockToleranceSeconds: tolerance },
          logging: false,
          now,
        });
        const result = await callKind(chain.client, "unary", ["a"], {
          metadata: bearer(token),
        });
        assert.equal(result.code, code, result.details);
      },
    );
  }
});

Deno.test("interceptor chain sends the request id back unless told not to, and logs it either way", async (t) => {
  const cases = [
    { name: "by default", echoRequestId: undefined, sent: true },
    { name: "with echoRequestId: false", echoRequestId: false, sent: false },
  ];
  for (const { name, echoRequestId, sent } of cases) {
    await t.step(`${name} the id is ${sent ? "" : "not "}in the headers and trailers`, async () => {
      await using logs = await recordLogs();
      await using chain = await startChainServer({ logging: { echoRequestId } });
      const result = await callKind(chain.client, "unary", ["a"]);
      assert.equal(result.code, grpc.status.OK, result.details);
      const [, requestId] = result.messages[0].split("|");
      assert.match(requestId, /^[0-9a-f-]{36}$/);
      assert.deepEqual(result.headers?.get(REQUEST_ID_HEADER), sent ? [requestId] : []);
      assert.deepEqual(result.trailers?.get(REQUEST_ID_HEADER), sent ? [requestId] : []);
      assert.ok(
        logs.records.some((r) => renderMessage(r).includes(`id=${requestId} `)),
        "the call's log line carries the id",
      );
    });
  }
});
