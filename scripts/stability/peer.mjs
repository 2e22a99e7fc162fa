// A grpc-js peer for the stability matrix (scripts/stability_matrix.ts). The
// same file runs under Node.js (the non-Deno peer) and under the Deno release
// being tested, so one client behaves identically on both runtimes:
//
//   node scripts/stability/peer.mjs <mode> [flags]
//   deno run -A scripts/stability/peer.mjs <mode> [flags]
//
// Modes: client, server, storm, busy, stream, churn. Each prints one JSON
// object per line on stdout ({"event": ...}); the matrix reads those lines.
// Messages are encoded by hand (HelloRequest: name = 1, count = 2), so no
// .proto is loaded and the peer stays small. @grpc/grpc-js is resolved from
// the project's node_modules, relative to this file.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { createHmac } from "node:crypto";
import http2 from "node:http2";
import process from "node:process";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js");

const { positionals, values: flags } = parseArgs({
  allowPositionals: true,
  options: {
    target: { type: "string" },
    port: { type: "string", default: "0" },
    calls: { type: "string", default: "1" },
    "idle-ms": { type: "string", default: "0" },
    then: { type: "string", default: "close" },
    repeat: { type: "string", default: "1" },
    opt: { type: "string", multiple: true, default: [] },
    "server-opt": { type: "string", multiple: true, default: [] },
    "shutdown-after-ms": { type: "string", default: "0" },
    channels: { type: "string", default: "12" },
    concurrency: { type: "string", default: "8" },
    rounds: { type: "string", default: "1" },
    streams: { type: "string", default: "10" },
    "duration-ms": { type: "string", default: "10000" },
    connections: { type: "string", default: "1000" },
    progress: { type: "string", default: "5000" },
    "retry-unanswered": { type: "string", default: "0" },
    ca: { type: "string" },
    "secret-file": { type: "string" },
  },
});

const emit = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const int = (name) => Number.parseInt(flags[name], 10);

// --- hand-made protobuf for helloworld.HelloRequest / HelloReply ---
function encodeRequest({ name, count = 0 }) {
  const bytes = [...Buffer.from(name, "utf8")];
  const out = [0x0a, ...varint(bytes.length), ...bytes];
  if (count) out.push(0x10, ...varint(count));
  return Buffer.from(out);
}
function varint(n) {
  const out = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
function decodeRequest(buf) {
  const request = { name: "", count: 0 };
  let i = 0;
  const readVarint = () => {
    let n = 0, shift = 0, b;
    do {
      b = buf[i++];
      n |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return n;
  };
  while (i < buf.length) {
    const tag = readVarint();
    if (tag === 0x0a) {
      const len = readVarint();
      request.name = buf.subarray(i, i + len).toString("utf8");
      i += len;
    } else if (tag === 0x10) request.count = readVarint();
    else break;
  }
  return request;
}
const encodeReply = (message) => encodeRequest({ name: message });
const identity = (b) => b;

const UNARY = "/helloworld.Greeter/SayHello";
const SERVER_STREAM = "/helloworld.Greeter/SayHelloStream";
const BIDI = "/helloworld.Greeter/SayHelloBidirectional";

/** Channel options from repeated `--opt key=value` (numbers where they parse). */
function options(list) {
  const out = {};
  for (const kv of list) {
    const [key, value] = kv.split("=");
    out[key] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

function newClient(extra = {}) {
  return new grpc.Client(flags.target, grpc.credentials.createInsecure(), {
    ...options(flags.opt),
    ...extra,
  });
}

function unary(client, name = "matrix", deadlineMs = 10_000) {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      UNARY,
      encodeRequest,
      identity,
      { name },
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error) => resolve(error ? error.code : 0),
    );
  });
}

function serverStream(client, count) {
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(
      SERVER_STREAM,
      encodeRequest,
      identity,
      { name: "stream", count },
      new grpc.Metadata(),
      { deadline: Date.now() + 30_000 },
    );
    let received = 0;
    call.on("data", () => received++);
    call.on("error", (error) => resolve({ code: error.code, received }));
    call.on("end", () => resolve({ code: 0, received }));
  });
}

const codeName = (code) => grpc.status[code] ?? String(code);

function tally(codes) {
  const out = {};
  for (const code of codes) out[codeName(code)] = (out[codeName(code)] ?? 0) + 1;
  return out;
}

// --- client: N calls, idle, then close / call; the upstream long-idle case ---
async function clientMode() {
  const client = newClient();
  const codes = [];
  for (let r = 0; r < int("repeat"); r++) {
    for (let i = 0; i < int("calls"); i++) codes.push(await unary(client));
    emit("idle", { ms: int("idle-ms"), round: r });
    await sleep(int("idle-ms"));
  }
  if (flags.then === "call") codes.push(await unary(client));
  const last = codes.at(-1);
  client.close();
  await sleep(1000); // let the GOAWAY go out and the session close here
  emit("done", { calls: codes.length, codes: tally(codes), last: codeName(last) });
}

// --- server: a minimal grpc-js Greeter that shuts down on a timer ---
async function serverMode() {
  const server = new grpc.Server(options(flags["server-opt"]));
  let calls = 0;
  server.addService({
    SayHello: {
      path: UNARY,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: decodeRequest,
      responseSerialize: encodeReply,
      responseDeserialize: identity,
    },
    SayHelloStream: {
      path: SERVER_STREAM,
      requestStream: false,
      responseStream: true,
      requestSerialize: identity,
      requestDeserialize: decodeRequest,
      responseSerialize: encodeReply,
      responseDeserialize: identity,
    },
  }, {
    SayHello(call, callback) {
      calls++;
      callback(null, `Hello, ${call.request.name}!`);
    },
    SayHelloStream(call) {
      calls++;
      const n = call.request.count || 3;
      for (let i = 1; i <= n; i++) call.write(`Hello, ${call.request.name}! (${i}/${n})`);
      call.end();
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync(
      `127.0.0.1:${flags.port}`,
      grpc.ServerCredentials.createInsecure(),
      (e, p) => e ? reject(e) : resolve(p),
    )
  );
  emit("listening", { port });
  // Shuts down (sending GOAWAY to every client) on SIGTERM or after --shutdown-after-ms.
  const after = int("shutdown-after-ms");
  await new Promise((resolve) => {
    process.once("SIGTERM", resolve);
    if (after > 0) setTimeout(resolve, after);
  });
  emit("shutting-down", { calls });
  await new Promise((resolve) => server.tryShutdown(resolve));
  emit("done", { calls });
}

// --- storm: channels doing calls and closing concurrently ---
async function stormMode() {
  const codes = [];
  let cancelledOnPurpose = 0;
  for (let round = 0; round < int("rounds"); round++) {
    const channels = Array.from({ length: int("channels") }, () => newClient());
    await Promise.all(channels.map(async (client, index) => {
      // Two channels a round are closed with calls still in flight.
      if (index < 2) {
        const inFlight = Array.from({ length: 4 }, () => unary(client));
        await sleep(1 + index * 3);
        client.close();
        for (const code of await Promise.all(inFlight)) {
          if (code === 0) codes.push(0);
          else cancelledOnPurpose++;
        }
        return;
      }
      const perChannel = int("calls");
      let next = 0;
      const worker = async () => {
        while (next++ < perChannel) codes.push(await unary(client));
      };
      await Promise.all(Array.from({ length: int("concurrency") }, worker));
      client.close();
    }));
  }
  emit("done", { calls: codes.length, codes: tally(codes), cancelledOnPurpose });
}

// --- busy: idle and busy channels while the server shuts down ---
async function busyMode() {
  const idle = Array.from({ length: int("channels") }, () => newClient());
  const idleCodes = await Promise.all(idle.map((c) => unary(c)));
  const busy = Array.from({ length: int("channels") }, () => newClient());
  const streams = [];
  let stop = false;
  emit("ready", { idle: idle.length, busy: busy.length });
  await Promise.all(
    busy.map(async (client) => {
      while (!stop) {
        const result = await serverStream(client, 100);
        streams.push(result);
        if (result.code === grpc.status.UNAVAILABLE && result.received === 0) break; // server gone
      }
    }).concat(sleep(int("duration-ms")).then(() => (stop = true))),
  );
  idle.concat(busy).forEach((c) => c.close());
  await sleep(500);
  const cut = streams.filter((s) => s.code !== 0 && s.received > 0).length;
  const ok = streams.filter((s) => s.code === 0).length;
  emit("done", {
    idleCodes: tally(idleCodes),
    streamsOk: ok,
    streamsCut: cut,
    streams: streams.length,
  });
}

// --- stream: long streams until killed ---
async function streamMode() {
  const client = newClient();
  let started = 0;
  const n = int("streams");
  const mark = () => {
    if (++started === 2 * n) emit("streaming", { streams: started });
  };
  for (let i = 0; i < n; i++) {
    const bidi = client.makeBidiStreamRequest(BIDI, encodeRequest, identity, new grpc.Metadata());
    let first = true;
    bidi.on("data", () => {
      if (first) (first = false, mark());
      bidi.write({ name: "bidi" });
    });
    bidi.on("error", () => {});
    bidi.write({ name: "bidi" });
    const stream = client.makeServerStreamRequest(
      SERVER_STREAM,
      encodeRequest,
      identity,
      { name: "stream", count: 100 },
      new grpc.Metadata(),
    );
    let firstS = true;
    stream.on("data", () => firstS && (firstS = false, mark()));
    stream.on("error", () => {});
  }
  await sleep(2 ** 31 - 1);
}

// --- churn: TLS connections, one SayHello each, closed (raw node:http2) ---
function token(secretFile) {
  let key = readFileSync(secretFile);
  if (key.at(-1) === 0x0a) key = key.subarray(0, key.at(-2) === 0x0d ? -2 : -1);
  const b64 = (v) =>
    Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${
    b64({ sub: "churn", iss: "greeter", aud: "helloworld.Greeter", iat: now, exp: now + 7200 })
  }`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

function oneConnection(ca, bearer) {
  return new Promise((resolve) => {
    const session = http2.connect(flags.target, { ca, servername: "localhost" });
    let status = "no-status";
    let answered = false;
    const done = () => resolve({ status, answered });
    session.on("error", () => {});
    session.on("close", done); // a refused or reset connection ends here
    const req = session.request({
      ":method": "POST",
      ":path": UNARY,
      "content-type": "application/grpc",
      te: "trailers",
      authorization: `Bearer ${bearer}`,
    });
    req.on("trailers", (t) => (status = t["grpc-status"]));
    req.on("response", (h) => {
      answered = true;
      if (h["grpc-status"] !== undefined) status = h["grpc-status"];
    });
    req.on("data", () => {});
    req.on("error", () => {});
    req.on("close", () => session.close(done));
    const message = encodeRequest({ name: "churn" });
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    req.end(frame);
  });
}

async function churnMode() {
  const ca = readFileSync(flags.ca);
  const bearer = token(flags["secret-file"]);
  const total = int("connections");
  const every = int("progress");
  let started = 0, done = 0, retried = 0;
  const statuses = {};
  const t0 = Date.now();
  const worker = async () => {
    while (started < total) {
      started++;
      // A connection closed before any response (reset while a server process hands
      // its port over) never reached a handler: made again, as gRPC clients retry
      // UNAVAILABLE; counted, and only --retry-unanswered times.
      let { status, answered } = await oneConnection(ca, bearer);
      for (let i = 0; status === "no-status" && !answered && i < int("retry-unanswered"); i++) {
        retried++;
        ({ status, answered } = await oneConnection(ca, bearer));
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (++done % every === 0 || done === total) {
        emit("progress", { done, seconds: (Date.now() - t0) / 1000 });
      }
    }
  };
  await Promise.all(Array.from({ length: int("concurrency") }, worker));
  emit("done", { connections: done, statuses, retried, seconds: (Date.now() - t0) / 1000 });
}

const modes = {
  client: clientMode,
  server: serverMode,
  storm: stormMode,
  busy: busyMode,
  stream: streamMode,
  churn: churnMode,
};
const mode = modes[positionals[0]];
if (!mode) {
  console.error(`usage: peer.mjs ${Object.keys(modes).join("|")} [flags]`);
  process.exit(2);
}
await mode();
process.exit(0);
