/**
 * End-to-end behaviour of the Greeter server over TLS: each RPC kind's
 * happy path, request validation, message-size limits, the error boundary and
 * the health service.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { createGreeterService, type GreeterService } from "../../lib/server/handlers/greeter.ts";
import { bidiPingPong, callKind, clientStream, serverStream, unary } from "../_helpers/calls.ts";
import { healthCheck } from "../_helpers/health_check.ts";
import { recordLogs, renderMessage } from "../_helpers/record_logs.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";
import { RPC_KIND_INFO, RPC_KINDS } from "../../lib/shared/rpc_kinds.ts";

Deno.test("server answers each RPC kind with the right content, in order", async (t) => {
  await using server = await startTestServer();
  using client = server.client();
  const metadata = bearer(await server.token());

  const cases = [
    {
      name: "unary call greets the name",
      run: () => unary(client, { name: "Ada" }, { metadata }),
      expected: ["Hello, Ada!"],
    },
    {
      name: "server stream sends the default 3 replies when count is 0",
      run: () => serverStream(client, { name: "Ada" }, { metadata }),
      expected: [1, 2, 3].map((i) => `Hello, Ada! (${i}/3)`),
    },
    {
      name: "server stream sends exactly the requested count of replies",
      run: () => serverStream(client, { name: "Bo", count: 7 }, { metadata }),
      expected: [1, 2, 3, 4, 5, 6, 7].map((i) => `Hello, Bo! (${i}/7)`),
    },
    {
      name: "server stream accepts the largest count, 100",
      run: () => serverStream(client, { name: "Cy", count: 100 }, { metadata }),
      expected: Array.from({ length: 100 }, (_, i) => `Hello, Cy! (${i + 1}/100)`),
    },
    {
      name: "client stream names every sender in the order sent",
      run: () =>
        clientStream(client, [{ name: "alpha" }, { name: "bravo" }, { name: "charlie" }], {
          metadata,
        }),
      expected: ["Hello, alpha, bravo, charlie!"],
    },
    {
      name: "client stream with no messages greets nobody",
      run: () => clientStream(client, [], { metadata }),
      expected: ["Hello, nobody!"],
    },
    {
      name: "bidi stream answers each message before the next is sent (ping-pong)",
      run: () =>
        bidiPingPong(client, ["delta", "echo", "foxtrot", "golf"].map((name) => ({ name })), {
          metadata,
          deadlineMs: 3000,
        }),
      expected: ["Hello, delta!", "Hello, echo!", "Hello, foxtrot!", "Hello, golf!"],
    },
  ];
  for (const { name, run, expected } of cases) {
    await t.step(name, async () => {
      const result = await run();
      assert.deepEqual(
        { code: grpc.status[result.code], messages: result.messages },
        { code: "OK", messages: expected },
        `details: ${result.details}`,
      );
      if ("timedOut" in result) assert.equal(result.timedOut, false, "a bidi reply never came");
    });
  }
});

const LONG_257 = "n".repeat(257);
const EMOJI_256 = "😀".repeat(256); // 256 code points, 512 UTF-16 units, 1024 UTF-8 bytes
const EMOJI_257 = "😀".repeat(257);

Deno.test("server rejects invalid names with INVALID_ARGUMENT naming the field", async (t) => {
  await using server = await startTestServer();
  using client = server.client();
  const metadata = bearer(await server.token());
  const badNames = [
    { label: "a blank name", name: "  \t " },
    { label: "an empty name", name: "" },
    { label: "a 257-character name", name: LONG_257 },
    { label: "a 257-code-point emoji name", name: EMOJI_257 },
  ];
  for (const kind of RPC_KINDS) {
    for (const { label, name } of badNames) {
      // On the client-streaming kinds a good message goes first, so the bad
      // one ends a call already under way.
      const names = kind === "client-stream"
        ? ["ok-1", name, "ok-3"]
        : kind === "bidi"
        ? ["ok-1", name, "ok-3"]
        : [name];
      await t.step(
        `${RPC_KIND_INFO[kind].label} call with ${label} fails with INVALID_ARGUMENT`,
        async () => {
          const result = await callKind(client, kind, names, { metadata, deadlineMs: 3000 });
          assert.equal(grpc.status[result.code], "INVALID_ARGUMENT", result.details);
          assert.match(result.details, /\bname\b/);
          assert.ok(!result.details.includes(LONG_257), "details echo the whole name");
          const expectedMessages = kind === "bidi" ? ["Hello, ok-1!"] : [];
          assert.deepEqual(result.messages, expectedMessages);
        },
      );
    }
  }
});

Deno.test("server accepts names at the 256-character limit, counted in code points", async (t) => {
  await using server = await startTestServer();
  using client = server.client();
  const metadata = bearer(await server.token());
  const goodNames = [
    { label: "a 256-character ASCII name", name: "m".repeat(256) },
    { label: "a 256-code-point emoji name (512 UTF-16 units)", name: EMOJI_256 },
    { label: "a mixed-script name", name: "Zoë 世界" },
  ];
  for (const kind of RPC_KINDS) {
    for (const { label, name } of goodNames) {
      await t.step(`${RPC_KIND_INFO[kind].label} call accepts ${label}`, async () => {
        const result = await callKind(client, kind, [name], { metadata, deadlineMs: 3000 });
        assert.equal(grpc.status[result.code], "OK", result.details);
        assert.ok(result.messages.length > 0, "no reply");
        for (const message of result.messages) assert.ok(message.includes(`Hello, ${name}!`));
      });
    }
  }
});

Deno.test("server stream rejects a count out of range with INVALID_ARGUMENT naming count", async (t) => {
  await using server = await startTestServer();
  using client = server.client();
  const metadata = bearer(await server.token());
  for (const count of [101, -1, 2 ** 31 - 1]) {
    await t.step(`server stream with count ${count} is refused`, async () => {
      const result = await serverStream(client, { name: "Ada", count }, { metadata });
      assert.equal(grpc.status[result.code], "INVALID_ARGUMENT", result.details);
      assert.match(result.details, /\bcount\b/);
      assert.deepEqual(result.messages, []);
    });
  }
});

Deno.test("server refuses a 5 MiB message with RESOURCE_EXHAUSTED and keeps serving", async (t) => {
  await using server = await startTestServer();
  using client = server.client();
  const metadata = bearer(await server.token());
  const huge = "x".repeat(5 * 1024 * 1024);
  const cases = [
    {
      name: "unary call with a 5 MiB name",
      run: () => unary(client, { name: huge }, { metadata }),
    },
    {
      name: "client stream whose second message is 5 MiB",
      run: () => clientStream(client, [{ name: "ok" }, { name: huge }], { metadata }),
    },
  ];
  for (const { name, run } of cases) {
    await t.step(`${name} fails with RESOURCE_EXHAUSTED`, async () => {
      const result = await run();
      assert.equal(grpc.status[result.code], "RESOURCE_EXHAUSTED", result.details);
      assert.deepEqual(result.messages, []);
      assert.ok(!result.details.includes("xxxxxxxx"), "details echo the message");
    });
  }
  await t.step("a normal call on the same channel still succeeds", async () => {
    const result = await unary(client, { name: "after" }, { metadata });
    assert.deepEqual([grpc.status[result.code], result.messages], ["OK", ["Hello, after!"]]);
  });
});

const SECRET_FAILURE = "database password is hunter2";

function throwingService(): GreeterService {
  const fail = (): never => {
    throw new Error(SECRET_FAILURE);
  };
  return {
    // deno-lint-ignore require-await
    async sayHello() {
      return fail();
    },
    // deno-lint-ignore require-yield
    async *sayHelloStream() {
      fail();
    },
    // deno-lint-ignore require-await
    async sayHelloClientStream() {
      return fail();
    },
    // deno-lint-ignore require-yield
    async *sayHelloBidirectional() {
      fail();
    },
  };
}

Deno.test("server hides a handler's unexpected error behind INTERNAL and logs it with the request id", async (t) => {
  await using logs = await recordLogs();
  await using server = await startTestServer({ service: throwingService() });
  using client = server.client();
  const metadata = bearer(await server.token());
  for (const kind of RPC_KINDS) {
    await t.step(
      `${RPC_KIND_INFO[kind].label} call that throws gets a generic INTERNAL with a request id`,
      async () => {
        const result = await callKind(client, kind, ["Ada"], { metadata, deadlineMs: 3000 });
        assert.equal(grpc.status[result.code], "INTERNAL", result.details);
        assert.ok(!result.details.includes("hunter2"), `details leak the cause: ${result.details}`);
        const match = /request id ([0-9a-f-]{36})/.exec(result.details);
        assert.ok(match, `no request id in details: ${result.details}`);
        const requestId = match[1];
        const errorRecords = logs.records.filter((record) =>
          record.properties.requestId === requestId && record.level === "error" &&
          record.properties.error !== undefined
        );
        assert.equal(errorRecords.length, 1, `no error record for ${requestId}`);
        const logged = errorRecords[0];
        assert.ok(
          String((logged.properties.error as Error).message).includes(SECRET_FAILURE) ||
            renderMessage(logged).includes(SECRET_FAILURE),
          "the log does not carry the cause",
        );
      },
    );
  }
});

Deno.test("health Check answers SERVING without a token", async (t) => {
  await using server = await startTestServer();
  for (const service of ["", "helloworld.Greeter"]) {
    await t.step(`health Check for "${service}" answers SERVING`, async () => {
      const result = await healthCheck(server.port, server.pki.caCert, service);
      assert.deepEqual(result, { code: grpc.status.OK, details: "", status: "SERVING" });
    });
  }
  await t.step("health Check for an unknown service answers NOT_FOUND", async () => {
    const result = await healthCheck(server.port, server.pki.caCert, "no.Such");
    assert.equal(grpc.status[result.code], "NOT_FOUND", result.details);
  });
});

Deno.test("a server stream blocked on a client that stopped reading ends when the client cancels", async () => {
  // Large replies fill the HTTP/2 flow-control window after a few messages, so
  // the handler waits for "drain"; only the cancellation can release it.
  let handlerFinished!: () => void;
  const finished = new Promise<void>((resolve) => (handlerFinished = resolve));
  const base = createGreeterService();
  await using server = await startTestServer({
    service: {
      ...base,
      async *sayHelloStream() {
        try {
          for (let i = 0; i < 1000; i++) yield { message: `${i} ${"x".repeat(64 * 1024)}` };
        } finally {
          handlerFinished();
        }
      },
    },
  });
  using client = server.client();
  const call = client.SayHelloStream({ name: "slow reader" }, bearer(await server.token()));
  call.on("error", () => {});
  await new Promise<void>((resolve) => call.once("data", () => resolve()));
  call.pause(); // stop reading: the server's writes back up
  await new Promise((resolve) => setTimeout(resolve, 300));
  call.cancel();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    finished.then(() => "handler finished"),
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("handler stuck"), 3000)),
  ]);
  clearTimeout(timer);
  assert.equal(outcome, "handler finished");
});
