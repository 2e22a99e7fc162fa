/**
 * The per-connection read-rate cap (`GREETER_READ_LIMIT_MBPS`):
 * it closes a connection flooding WINDOW_UPDATE frames, the one flood no
 * other part of the server can see, and leaves normal calls alone.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { controlCalls, windowUpdateFlood } from "../../lib/bench/connection_floods.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";

const cases = [
  {
    name: "a server with a 1 MB/s read limit closes a WINDOW_UPDATE flood within 4 s",
    limit: 1e6,
    cut: true,
  },
  {
    name: "a server without a read limit leaves the same flood open",
    limit: 0,
    cut: false,
  },
];

for (const { name, limit, cut } of cases) {
  Deno.test(name, async () => {
    await using server = await startTestServer({ connectionReadLimitBytesPerSecond: limit });
    const target = { host: "127.0.0.1", port: server.port, ca: server.pki.caCert };
    const token = await server.token();
    const [flood, control] = await Promise.all([
      windowUpdateFlood(target, 4_500),
      controlCalls(target, token, 1_000, 50, 10_000),
    ]);
    assert.equal(flood.cutAfterMs !== undefined, cut, `cut after ${flood.cutAfterMs} ms`);
    if (cut) assert.ok(flood.cutAfterMs! < 4_000, `cut after ${flood.cutAfterMs} ms`);
    assert.equal(control.failed, 0, "the control client's calls succeed");
    assert.ok(control.ok > 0);
  });
}

Deno.test("a server with a 1 MB/s read limit still reads a 3 MB message and answers it (one second over is not two)", async () => {
  await using server = await startTestServer({ connectionReadLimitBytesPerSecond: 1e6 });
  using client = server.client();
  const metadata = bearer(await server.token());
  const call = (name: string) =>
    new Promise<{ code: number; details: string }>((resolve) =>
      client.sayHello(
        { name },
        metadata,
        (error: grpc.ServiceError | null) =>
          resolve({ code: error?.code ?? 0, details: error?.details ?? "" }),
      )
    );
  // The handler refuses names over 256 characters: an answer, not a closed connection.
  assert.deepEqual(await call("x".repeat(3_000_000)), {
    code: grpc.status.INVALID_ARGUMENT,
    details: "name must be at most 256 characters",
  });
  assert.deepEqual(await call("after"), { code: 0, details: "" });
});
