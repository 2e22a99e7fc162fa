import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import {
  BENCH_AUDIENCE,
  BENCH_ISSUER,
  benchTokenProvider,
} from "../../lib/bench/bench_token_provider.ts";
import { spawnBenchServer } from "../../lib/bench/spawn_bench_server.ts";
import type { BenchServerSpec } from "../../lib/bench/variant_server.ts";
import { createGreeterClient, statusName, statusOf } from "../../lib/client/greeter_client.ts";
import { testPki } from "../_helpers/pki.ts";

async function specFor(variant: BenchServerSpec["variant"]): Promise<BenchServerSpec> {
  const pki = await testPki();
  return {
    variant,
    cert: pki.serverCert,
    key: pki.serverKey,
    secret: "bench-secret-for-the-spawn-test-0123456789",
    issuer: BENCH_ISSUER,
    audience: BENCH_AUDIENCE,
  };
}

Deno.test("a spawned full variant serves TLS + JWT calls and counts them in its stats", async () => {
  const spec = await specFor("full");
  await using server = await spawnBenchServer(spec);
  assert.ok(server.port > 0);
  const before = await server.stats();
  assert.equal(before.calls, 0);
  using client = createGreeterClient({
    target: `localhost:${server.port}`,
    tls: { ca: (await testPki()).caCert },
    tokenProvider: benchTokenProvider(spec.secret),
  });
  const reply = await client.sayHello({ name: "bench" });
  assert.equal(reply.message, "Hello, bench!");
  const after = await server.stats();
  assert.equal(after.calls, 1, "the full server counts the call");
  assert.ok(after.cpuUserUs + after.cpuSystemUs > before.cpuUserUs + before.cpuSystemUs);
  assert.ok(after.rss > 0 && after.heapUsed > 0 && after.heapTotal >= after.heapUsed);
});

Deno.test("a spawned bare variant answers without a token and reports memory after a GC", async () => {
  await using server = await spawnBenchServer(await specFor("bare"));
  using client = createGreeterClient({
    target: `localhost:${server.port}`,
    tls: { ca: (await testPki()).caCert },
  });
  assert.equal((await client.sayHello({ name: "bare" })).message, "Hello, bare!");
  const stats = await server.gcStats();
  assert.equal(stats.calls, 0, "the bare server counts nothing");
  assert.ok(stats.rss > 0 && stats.heapUsed > 0);
});

Deno.test("closing a spawned variant twice stops it once and frees its port", async () => {
  const server = await spawnBenchServer(await specFor("bare"));
  const { port } = server;
  await Promise.all([server.close(), server.close()]);
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  listener.close();
});

Deno.test("each spawned variant asks for a token only when it runs the auth interceptor", async (t) => {
  const cases = [
    { variant: "full", needsToken: true },
    { variant: "auth-only", needsToken: true },
    { variant: "logging-only", needsToken: false },
    { variant: "bare", needsToken: false },
  ] as const;
  for (const { variant, needsToken } of cases) {
    await t.step(
      `the ${variant} variant ${needsToken ? "refuses" : "answers"} a call without a token`,
      async () => {
        await using server = await spawnBenchServer(await specFor(variant));
        using client = createGreeterClient({
          target: `localhost:${server.port}`,
          tls: { ca: (await testPki()).caCert },
        });
        const outcome = await client.sayHello({ name: "x" }).then(
          () => "OK",
          (error) => statusName(statusOf(error) ?? grpc.status.UNKNOWN),
        );
        assert.equal(outcome, needsToken ? "UNAUTHENTICATED" : "OK");
      },
    );
  }
});

Deno.test("a spawned node-bare variant serves the contract on Node.js over TLS", async (t) => {
  await using server = await spawnBenchServer(await specFor("node-bare"));
  using client = createGreeterClient({
    target: `localhost:${server.port}`,
    tls: { ca: (await testPki()).caCert },
  });
  await t.step("unary replies with the greeting", async () => {
    assert.equal((await client.sayHello({ name: "node" })).message, "Hello, node!");
  });
  await t.step("server streaming sends count replies, in order", async () => {
    const replies: string[] = [];
    for await (const r of client.sayHelloStream({ name: "n", count: 3 })) replies.push(r.message);
    assert.deepEqual(replies, ["Hello, n! (1/3)", "Hello, n! (2/3)", "Hello, n! (3/3)"]);
  });
  await t.step("client streaming names every request in order", async () => {
    const reply = await client.sayHelloClientStream([{ name: "a" }, { name: "b" }]);
    assert.equal(reply.message, "Hello, a, b!");
  });
  await t.step("bidi replies to each request", async () => {
    const call = client.sayHelloBidirectional();
    await call.send({ name: "x" });
    assert.equal((await call.next())?.message, "Hello, x!");
    call.end();
    assert.equal(await call.next(), undefined);
  });
  await t.step("a blank name is INVALID_ARGUMENT, as on the Deno servers", async () => {
    const error = await client.sayHello({ name: " " }).then(() => undefined, (e) => e);
    assert.equal(statusName(statusOf(error)!), "INVALID_ARGUMENT");
  });
  await t.step("stats come from the Node.js process", async () => {
    const stats = await server.gcStats();
    assert.ok(stats.cpuUserUs > 0 && stats.rss > 0 && stats.heapUsed > 0);
    assert.equal(stats.calls, 0);
  });
});
