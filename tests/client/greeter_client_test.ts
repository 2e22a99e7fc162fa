import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { signToken } from "../../lib/auth/jwt.ts";
import { generateDevPki } from "../../lib/shared/dev_certs.ts";
import { createGreeterClient, statusOf } from "../../lib/client/greeter_client.ts";
import { createTokenProvider, mintingTokenSource } from "../../lib/client/token_provider.ts";
import {
  fixtureTokenProvider,
  startFixtureServer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  TEST_SECRET,
  testPki,
} from "../fixtures/broken_servers.ts";

type Unary = grpc.handleUnaryCall<{ name: string }, { message: string }>;

/** Calls that reached SayHello, counted by {@linkcode interceptSayHello}. */
const seen = { sayHello: 0 };

/** Wraps the fixture's SayHello: `answer(n, call)` may answer call number n itself. */
function interceptSayHello(
  answer: (
    n: number,
    call: grpc.ServerUnaryCall<{ name: string }, unknown>,
  ) => grpc.StatusObject | null,
) {
  seen.sayHello = 0;
  return (handlers: grpc.UntypedServiceImplementation) => ({
    ...handlers,
    SayHello: ((call, callback) => {
      const status = answer(++seen.sayHello, call);
      if (status !== null) return callback(status);
      (handlers.SayHello as Unary)(call, callback);
    }) as Unary,
  });
}

const status = (code: grpc.status, details: string): grpc.StatusObject => ({
  code,
  details,
  metadata: new grpc.Metadata(),
});

Deno.test("greeter client talks all four patterns over TLS with a minted token", async () => {
  await using server = await startFixtureServer();
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider: fixtureTokenProvider(),
  });
  assert.equal((await client.sayHello({ name: "Ada" })).message, "Hello, Ada!");
  const streamed = [];
  for await (const reply of client.sayHelloStream({ name: "Ada", count: 2 })) {
    streamed.push(reply.message);
  }
  assert.deepEqual(streamed, ["Hello, Ada! (1/2)", "Hello, Ada! (2/2)"]);
  const joined = await client.sayHelloClientStream([{ name: "a" }, { name: "b" }]);
  assert.equal(joined.message, "Hello, a, b!");
  const bidi = client.sayHelloBidirectional();
  await bidi.send({ name: "x" });
  assert.equal((await bidi.next())?.message, "Hello, x!");
  bidi.end();
  assert.equal(await bidi.next(), undefined);
  assert.equal((await bidi.status).code, grpc.status.OK);
});

Deno.test("greeter client refreshes the token and retries once after UNAUTHENTICATED", async () => {
  const tokens: string[] = [];
  await using server = await startFixtureServer({
    overrideHandlers: interceptSayHello((n, call) => {
      tokens.push(String(call.metadata.get("authorization")[0]));
      return n === 1 ? status(grpc.status.UNAUTHENTICATED, "token revoked") : null;
    }),
  });
  // Each token names its fetch in `sub`, so the retry's token is visibly new.
  let fetch = 0;
  const tokenProvider = createTokenProvider({
    source: () =>
      signToken({
        secret: TEST_SECRET,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        subject: `client-${++fetch}`,
      }),
  });
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider,
  });
  assert.equal((await client.sayHello({ name: "Ada" })).message, "Hello, Ada!");
  assert.equal(seen.sayHello, 2);
  assert.equal(tokenProvider.fetches, 2);
  assert.notEqual(tokens[0], tokens[1], "the retry carries a fresh token");
});

Deno.test("greeter client retries UNAUTHENTICATED only once", async () => {
  await using server = await startFixtureServer({
    overrideHandlers: interceptSayHello(() => status(grpc.status.UNAUTHENTICATED, "no")),
  });
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider: fixtureTokenProvider(),
  });
  await assert.rejects(
    client.sayHello({ name: "Ada" }),
    (e) => statusOf(e) === grpc.status.UNAUTHENTICATED,
  );
  assert.equal(seen.sayHello, 2);
});

Deno.test("greeter client invalidates its token when a stream ends UNAUTHENTICATED", async () => {
  await using server = await startFixtureServer();
  const tokenProvider = createTokenProvider({
    source: mintingTokenSource({
      secret: TEST_SECRET,
      issuer: "someone-else",
      audience: TEST_AUDIENCE,
    }),
  });
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider,
  });
  const bidi = client.sayHelloBidirectional();
  assert.equal((await bidi.status).code, grpc.status.UNAUTHENTICATED);
  await tokenProvider.getToken();
  assert.equal(tokenProvider.fetches, 2, "the next call fetched a new token");
});

Deno.test("greeter client retries UNAVAILABLE through grpc-js's retry policy", async () => {
  const attempts: string[] = [];
  await using server = await startFixtureServer({
    overrideHandlers: interceptSayHello((n, call) => {
      attempts.push(String(call.metadata.get("grpc-previous-rpc-attempts")[0] ?? "0"));
      return n === 1 ? status(grpc.status.UNAVAILABLE, "warming up") : null;
    }),
  });
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider: fixtureTokenProvider(),
    retry: { initialBackoffMs: 10, maxBackoffMs: 50 },
  });
  assert.equal((await client.sayHello({ name: "Ada" })).message, "Hello, Ada!");
  assert.deepEqual(attempts, ["0", "1"], "the second attempt is marked as a grpc-js retry");
});

Deno.test("greeter client gives up on UNAVAILABLE after maxAttempts", async () => {
  await using server = await startFixtureServer({
    overrideHandlers: interceptSayHello(() => status(grpc.status.UNAVAILABLE, "down")),
  });
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider: fixtureTokenProvider(),
    retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 },
  });
  await assert.rejects(
    client.sayHello({ name: "Ada" }),
    (e) => statusOf(e) === grpc.status.UNAVAILABLE,
  );
  assert.equal(seen.sayHello, 3);
});

Deno.test("greeter client ends a call that outlives its deadline with DEADLINE_EXCEEDED", async () => {
  await using server = await startFixtureServer();
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider: fixtureTokenProvider(),
    deadlineMs: 150,
  });
  const bidi = client.sayHelloBidirectional(); // never half-closed
  await bidi.send({ name: "Ada" });
  const started = Date.now();
  assert.equal((await bidi.status).code, grpc.status.DEADLINE_EXCEEDED);
  assert.ok(Date.now() - started < 1000);
});

Deno.test("greeter client cancels a call when its signal aborts", async () => {
  await using server = await startFixtureServer();
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: server.caCert },
    tokenProvider: fixtureTokenProvider(),
  });
  const controller = new AbortController();
  const stream = client.sayHelloStream({ name: "Ada", count: 100 }, { signal: controller.signal });
  await stream.next();
  controller.abort();
  assert.equal((await stream.status).code, grpc.status.CANCELLED);
});

Deno.test("greeter client refuses a server whose certificate another CA signed", async () => {
  await using server = await startFixtureServer();
  const other = await generateDevPki({ hosts: ["127.0.0.1"] });
  using client = createGreeterClient({
    target: server.address,
    tls: { ca: other.caCert },
    tokenProvider: fixtureTokenProvider(),
    retry: { maxAttempts: 1 },
  });
  await assert.rejects(
    client.sayHello({ name: "Ada" }),
    (e) => statusOf(e) === grpc.status.UNAVAILABLE,
  );
  assert.equal(server.calls.get("SayHello"), undefined, "no call reached the server");
});

Deno.test("greeter client checks the certificate against --server-name when given", async () => {
  await using server = await startFixtureServer();
  const cases = [{ serverName: "localhost", ok: true }, { serverName: "example.com", ok: false }];
  for (const c of cases) {
    using client = createGreeterClient({
      target: server.address,
      tls: { ca: server.caCert, serverName: c.serverName },
      tokenProvider: fixtureTokenProvider(),
      retry: { maxAttempts: 1 },
    });
    const code = await client.sayHello({ name: "Ada" }).then(() => grpc.status.OK, statusOf);
    assert.equal(code, c.ok ? grpc.status.OK : grpc.status.UNAVAILABLE, c.serverName);
  }
});

Deno.test("greeter client presents its client certificate for mTLS", async () => {
  await using server = await startFixtureServer({ mutualTls: true });
  const pki = await testPki();
  const cases = [
    {
      name: "with a certificate",
      tls: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey },
      ok: true,
    },
    { name: "without", tls: { ca: pki.caCert }, ok: false },
  ];
  for (const c of cases) {
    using client = createGreeterClient({
      target: server.address,
      tls: c.tls,
      tokenProvider: fixtureTokenProvider(),
      retry: { maxAttempts: 1 },
    });
    const code = await client.sayHello({ name: "Ada" }).then(() => grpc.status.OK, statusOf);
    assert.equal(code, c.ok ? grpc.status.OK : grpc.status.UNAVAILABLE, c.name);
  }
});

Deno.test("greeter client never sends a token over plaintext unless told to", async () => {
  assert.throws(
    () =>
      createGreeterClient({
        target: "127.0.0.1:1",
        tls: null,
        tokenProvider: fixtureTokenProvider(),
      }),
    /refusing to send a bearer token over plaintext/,
  );
  await using server = await startFixtureServer({ plaintext: true });
  using client = createGreeterClient({
    target: server.address,
    tls: null,
    tokenProvider: fixtureTokenProvider(),
    allowTokenOverPlaintext: true,
  });
  assert.equal((await client.sayHello({ name: "Ada" })).message, "Hello, Ada!");
  const bidi = client.sayHelloBidirectional();
  await bidi.send({ name: "x" });
  await bidi.send({ name: "y" });
  bidi.end();
  const replies = [];
  for await (const reply of bidi) replies.push(reply.message);
  assert.deepEqual(
    replies,
    ["Hello, x!", "Hello, y!"],
    "the interceptor delays, never drops, messages",
  );
});
