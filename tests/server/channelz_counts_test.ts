/**
 * The open connection and stream gauges, read through grpc-js's channelz
 * (lib/server/channelz_counts.ts), against connections and streams this test
 * holds open: a grpc-js upgrade that changed what channelz reports would fail
 * here rather than report zeros.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { connectionCounts } from "../../lib/server/channelz_counts.ts";
import { createServerMetrics } from "../../lib/server/metrics.ts";
import { startTestServer, type TestClient } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";

/** A bidi stream that has been answered once, so the server has it open. */
async function openStream(client: TestClient, metadata: grpc.Metadata) {
  const call = client.SayHelloBidirectional(metadata, { deadline: Date.now() + 10_000 });
  const status = new Promise<grpc.status>((resolve) => call.on("status", (s) => resolve(s.code)));
  call.on("error", () => {});
  const first = new Promise((resolve) => call.once("data", resolve));
  call.write({ name: "held" });
  await first;
  return {
    async end() {
      call.end();
      call.on("data", () => {});
      return await status;
    },
  };
}

function gauge(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\d+)$`, "m").exec(text);
  return match === null ? undefined : Number(match[1]);
}

Deno.test("open connection and stream gauges count the streams held open on two connections, then none", async () => {
  const metrics = createServerMetrics({ processMetrics: false });
  await using server = await startTestServer({ metrics });
  // A local subchannel pool each: two clients, two connections.
  using first = server.client({ "grpc.use_local_subchannel_pool": 1 });
  using second = server.client({ "grpc.use_local_subchannel_pool": 1 });
  const metadata = bearer(await server.token());
  const streams = [
    await openStream(first, metadata),
    await openStream(first, metadata),
    await openStream(second, metadata),
  ];
  const open = await metrics.render();
  assert.equal(gauge(open, "greeter_open_connections"), 2);
  assert.equal(gauge(open, "greeter_open_streams"), 3);

  for (const stream of streams) assert.equal(await stream.end(), grpc.status.OK);
  const ended = await metrics.render();
  assert.equal(gauge(ended, "greeter_open_connections"), 2);
  assert.equal(gauge(ended, "greeter_open_streams"), 0);
});

Deno.test("connection counts of a server nobody has connected to are zero", () => {
  const server = new grpc.Server();
  assert.deepEqual(connectionCounts(server), { connections: 0, openStreams: 0 });
});
