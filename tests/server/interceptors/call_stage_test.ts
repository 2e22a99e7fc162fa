/**
 * Call stages run by one grpc-js interceptor, on a real grpc-js server over
 * TLS: the order each event goes through the stages, messages held while a
 * stage holds the metadata, a stage ending the call, a stage staying out.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import {
  type CallHooks,
  type CallStage,
  composeCallStages,
} from "../../../lib/server/interceptors/call_stage.ts";
import type { GreeterHandlers } from "../../../lib/shared/proto.ts";
import { startPlainServer, type TestClient } from "../../_helpers/test_server.ts";

/** What a recording stage does besides recording. */
interface StageBehaviour {
  /** Pass the metadata on (or refuse) only after this many ms. */
  holdMetadataMs?: number;
  /** End the call with this status instead of passing the metadata on. */
  refuse?: { code: grpc.status; details: string };
  /** Stay out of every call. */
  absent?: boolean;
  /** Send new headers (only its own entry) instead of adding to the ones it got. */
  replaceHeaders?: boolean;
}

/** A stage that writes `<name> <event>` into `events` for every hook. */
function recordingStage(name: string, events: string[], behaviour: StageBehaviour = {}): CallStage {
  return (_method, _call, end) => {
    if (behaviour.absent) return undefined;
    const hooks: CallHooks = {
      onReceiveMetadata(metadata, next) {
        events.push(`${name} metadata`);
        const decide = () => behaviour.refuse ? end(behaviour.refuse) : next(metadata);
        if (behaviour.holdMetadataMs === undefined) return decide();
        setTimeout(() => {
          events.push(`${name} decides`);
          decide();
        }, behaviour.holdMetadataMs);
      },
      onReceiveMessage: () => void events.push(`${name} message in`),
      onCancel: () => void events.push(`${name} cancel`),
      sendMetadata(headers) {
        events.push(`${name} headers`);
        if (!behaviour.replaceHeaders) return void headers.add("x-stages", name);
        const replaced = new grpc.Metadata();
        replaced.add("x-stages", name);
        return replaced;
      },
      sendMessage: () => void events.push(`${name} message out`),
      sendStatus(status) {
        events.push(`${name} status ${grpc.status[status.code]}`);
        const trailers = status.metadata ?? new grpc.Metadata();
        trailers.add("x-stages", name);
        return { ...status, metadata: trailers };
      },
    };
    return hooks;
  };
}

/** Handlers that record when the request reaches them. */
function recordingHandlers(events: string[]): GreeterHandlers {
  return {
    SayHello(call, callback) {
      events.push(`handler ${call.request.name}`);
      callback(null, { message: `Hello ${call.request.name}` });
    },
    SayHelloStream(call) {
      events.push("handler stream");
      call.write({ message: "first" });
      // Never ends on its own: the client cancels.
    },
    SayHelloClientStream(call, callback) {
      const names: string[] = [];
      call.on("data", (request: { name: string }) => {
        events.push(`handler ${request.name}`);
        names.push(request.name);
      });
      call.on("end", () => callback(null, { message: names.join(",") }));
    },
    SayHelloBidirectional(call) {
      call.end();
    },
  };
}

function startStagedServer(stages: [string, CallStage][], events: string[]) {
  return startPlainServer([composeCallStages(stages)], recordingHandlers(events));
}

/** A unary call's reply or error, with the headers and trailers the client got. */
function sayHello(client: TestClient, name: string) {
  return new Promise<{ error: grpc.ServiceError | null; headers: string[]; trailers: string[] }>(
    (resolve) => {
      let headers: string[] = [];
      let trailers: string[] = [];
      const call = client.SayHello({ name }, (error: grpc.ServiceError | null) => {
        // The status event comes after the callback: let it land first.
        setTimeout(() => resolve({ error, headers, trailers }), 0);
      });
      // Repeated entries may arrive joined by ", ".
      const names = (m: grpc.Metadata) => m.get("x-stages").flatMap((v) => String(v).split(", "));
      call.on("metadata", (m: grpc.Metadata) => headers = names(m));
      call.on("status", (s: grpc.StatusObject) => trailers = names(s.metadata));
    },
  );
}

Deno.test("call stages see each event in grpc-js's order: in first to last, out last to first", async () => {
  const events: string[] = [];
  await using server = await startStagedServer([
    ["a", recordingStage("a", events)],
    ["b", recordingStage("b", events)],
    ["c", recordingStage("c", events)],
  ], events);
  const { error, headers, trailers } = await sayHello(server.client, "Ada");
  assert.equal(error, null);
  // grpc-js on Deno reports every finished stream as cancelled too, after the status.
  assert.deepEqual(events.filter((e) => !e.endsWith(" cancel")), [
    "a metadata",
    "b metadata",
    "c metadata",
    "a message in",
    "b message in",
    "c message in",
    "handler Ada",
    "c headers",
    "b headers",
    "a headers",
    "c message out",
    "b message out",
    "a message out",
    "c status OK",
    "b status OK",
    "a status OK",
  ]);
  // Each stage added to what the one after it had sent on.
  assert.deepEqual(headers, ["c", "b", "a"]);
  assert.deepEqual(trailers, ["c", "b", "a"]);
});

Deno.test("a stage that returns other headers sends them on instead of the ones it got", async () => {
  const events: string[] = [];
  await using server = await startStagedServer([
    ["a", recordingStage("a", events)],
    ["b", recordingStage("b", events, { replaceHeaders: true })],
    ["c", recordingStage("c", events)],
  ], events);
  const { error, headers, trailers } = await sayHello(server.client, "Ada");
  assert.equal(error, null);
  // c's entry went with the headers b replaced; a added to b's.
  assert.deepEqual(headers, ["b", "a"]);
  assert.deepEqual(trailers, ["c", "b", "a"]);
});

Deno.test("call stages let no message through before every stage passed the metadata", async () => {
  const events: string[] = [];
  await using server = await startStagedServer([
    ["a", recordingStage("a", events)],
    ["b", recordingStage("b", events, { holdMetadataMs: 30 })],
    ["c", recordingStage("c", events)],
  ], events);
  const reply = await new Promise<string>((resolve, reject) => {
    const call = server.client.SayHelloClientStream(
      (error: grpc.ServiceError | null, value?: { message: string }) =>
        error ? reject(error) : resolve(value!.message),
    );
    call.write({ name: "one" });
    call.end();
  });
  assert.equal(reply, "one");
  assert.deepEqual(events.slice(0, events.indexOf("handler one") + 1), [
    "a metadata",
    "b metadata",
    "b decides",
    "c metadata",
    "a message in",
    "b message in",
    "c message in",
    "handler one",
  ]);
});

/** What grpc-js's base call reports to the layer above it. */
type NetworkListener = Parameters<grpc.ServerInterceptingCallInterface["start"]>[0];

/**
 * Two stages ("a" recording, then one that holds the metadata until `pass`)
 * over a stand-in for grpc-js's base call, driven by hand: `network` plays the
 * events grpc-js would report, `events` gets what the stages and handler saw.
 */
function holdingCall() {
  const events: string[] = [];
  let network: NetworkListener | undefined;
  const base = {
    start: (listener: NetworkListener) => void (network = listener),
    sendMetadata: () => {},
    sendMessage: () => {},
    sendStatus: () => {},
    startRead: () => {},
    getPeer: () => "test",
    getDeadline: () => Infinity,
    getHost: () => "test",
  } as unknown as grpc.ServerInterceptingCallInterface;
  let pass: (() => void) | undefined;
  const holding: CallStage = () => ({
    onReceiveMetadata: (metadata, next) => void (pass = () => next(metadata)),
    onReceiveMessage: (message) => void events.push(`holding stage ${message}`),
  });
  const method = { path: "/helloworld.Greeter/SayHello" } as grpc.ServerMethodDefinition<
    unknown,
    unknown
  >;
  const call = composeCallStages([
    ["a", recordingStage("a", events)],
    ["holding", holding],
  ])(method, base);
  call.start({
    onReceiveMetadata: () => void events.push("handler metadata"),
    onReceiveMessage: (message: unknown) => void events.push(`handler ${message}`),
    onReceiveHalfClose: () => void events.push("handler half-close"),
    onCancel: () => void events.push("handler cancel"),
  });
  network!.onReceiveMetadata(new grpc.Metadata());
  return { events, network: network!, pass: () => pass!() };
}

Deno.test("call stages hold a message and the half-close grpc-js hands over before every stage passed the metadata", () => {
  // grpc-js 1.14 reads no message before that; a call that did must still not
  // reach the handler early.
  const { events, network, pass } = holdingCall();
  network.onReceiveMessage("one");
  network.onReceiveHalfClose();
  assert.deepEqual(events, ["a metadata"]);
  pass();
  assert.deepEqual(events, [
    "a metadata",
    "handler metadata",
    "a message in",
    "holding stage one",
    "handler one",
    "handler half-close",
  ]);
});

Deno.test("a call cancelled while a stage holds its metadata never reaches the handler's other events", () => {
  const { events, network, pass } = holdingCall();
  network.onReceiveMessage("one");
  network.onCancel();
  pass();
  network.onReceiveMessage("two");
  network.onReceiveHalfClose();
  assert.deepEqual(events, ["a metadata", "a cancel", "handler cancel"]);
});

Deno.test("a stage that ends the call sends its status through the stages before it only", async (t) => {
  const cases: { name: string; behaviour: StageBehaviour }[] = [
    {
      name: "at once",
      behaviour: { refuse: { code: grpc.status.UNAUTHENTICATED, details: "no token" } },
    },
    {
      name: "after an asynchronous check",
      behaviour: {
        holdMetadataMs: 20,
        refuse: { code: grpc.status.UNAUTHENTICATED, details: "no token" },
      },
    },
  ];
  for (const { name, behaviour } of cases) {
    await t.step(`it does so when it ends the call ${name}`, async () => {
      const events: string[] = [];
      await using server = await startStagedServer([
        ["a", recordingStage("a", events)],
        ["b", recordingStage("b", events, behaviour)],
        ["c", recordingStage("c", events)],
      ], events);
      const { error, trailers } = await sayHello(server.client, "Ada");
      assert.equal(error?.code, grpc.status.UNAUTHENTICATED);
      assert.equal(error?.details, "no token");
      assert.deepEqual(trailers, ["a"]);
      // grpc-js on Deno reports every finished stream as cancelled too; every stage hears that.
      const untilCancel = events.slice(0, events.indexOf("a cancel"));
      const decided = behaviour.holdMetadataMs === undefined ? [] : ["b decides"];
      assert.deepEqual(untilCancel, [
        "a metadata",
        "b metadata",
        ...decided,
        "a status UNAUTHENTICATED",
      ]);
    });
  }
});

Deno.test("a stage that stays out of a call leaves it to the others", async () => {
  const events: string[] = [];
  await using server = await startStagedServer([
    ["a", recordingStage("a", events)],
    ["b", recordingStage("b", events, { absent: true })],
  ], events);
  const { error, headers } = await sayHello(server.client, "Ada");
  assert.equal(error, null);
  assert.deepEqual(headers, ["a"]);
  assert.ok(!events.some((e) => e.startsWith("b ")), events.join());
});

Deno.test("every stage hears of a call the client cancels", async () => {
  const events: string[] = [];
  await using server = await startStagedServer([
    ["a", recordingStage("a", events)],
    ["b", recordingStage("b", events)],
  ], events);
  await new Promise<void>((resolve) => {
    const call = server.client.SayHelloStream({ name: "Ada" });
    call.on("data", () => call.cancel());
    call.on("error", () => {});
    call.on("close", () => resolve());
  });
  const deadline = Date.now() + 2000;
  while (!events.includes("b cancel") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(events.filter((e) => e.endsWith("cancel")), ["a cancel", "b cancel"]);
});
