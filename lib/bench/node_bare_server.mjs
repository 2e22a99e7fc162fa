#!/usr/bin/env node
// A bare Greeter server on Node.js, for the server comparison: grpc-js as a
// Node.js program would use it, with TLS, the same connection settings and the
// same contract as the bare Deno server (`bare_server.ts`), and no auth or
// logging. It tells what the runtime costs: the bare Deno server against this
// one is Deno's node:http2 and TLS against Node's.
//
// It speaks the variant server's protocol (see `variant_server.ts`): one JSON
// line on stdin (`cert`, `key` and `connectionOptions`, the server options
// the Deno servers use), `{"port": N}` on stdout once listening, then the
// commands `stats`, `gc` and `quit`, one per line. Run by
// `spawnBenchServer` as `node --expose-gc node_bare_server.mjs`; grpc-js and
// proto-loader are the project's own (node_modules, after `deno install`).
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import process from "node:process";

const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const PROTO = fileURLToPath(new URL("../../protos/greeter.proto", import.meta.url));
const MAX_NAME_CHARS = 256;
const DEFAULT_STREAM_COUNT = 3;
const MAX_STREAM_COUNT = 100;

/** The contract's validation (`lib/server/handlers/validation.ts`), as a status or a name. */
function checkName(name) {
  if (name.trim() === "") return invalid("name must not be empty or blank");
  if ([...name].length > MAX_NAME_CHARS) {
    return invalid(`name must be at most ${MAX_NAME_CHARS} characters`);
  }
  return name;
}

function invalid(details) {
  return { code: grpc.status.INVALID_ARGUMENT, details };
}

const greeting = (name) => `Hello, ${name}!`;

/** Writes `replies` one by one, waiting for HTTP/2 flow control when the stream is full. */
async function writeAll(call, replies) {
  for (const reply of replies) {
    if (call.cancelled) return;
    if (!call.write(reply)) {
      await new Promise((resolve) => {
        const done = () => {
          call.off("drain", done);
          call.off("cancelled", done);
          resolve();
        };
        call.on("drain", done);
        call.on("cancelled", done);
      });
    }
  }
  call.end();
}

const handlers = {
  SayHello(call, callback) {
    const name = checkName(call.request.name);
    if (typeof name !== "string") return callback(name);
    callback(null, { message: greeting(name) });
  },
  SayHelloStream(call) {
    const name = checkName(call.request.name);
    if (typeof name !== "string") return call.emit("error", name);
    let count = call.request.count;
    if (count === 0) count = DEFAULT_STREAM_COUNT;
    if (!Number.isInteger(count) || count < 1 || count > MAX_STREAM_COUNT) {
      return call.emit("error", invalid(`count must be between 0 and ${MAX_STREAM_COUNT}`));
    }
    const replies = function* () {
      for (let i = 1; i <= count; i++) yield { message: `${greeting(name)} (${i}/${count})` };
    };
    writeAll(call, replies());
  },
  SayHelloClientStream(call, callback) {
    const names = [];
    let failed = false;
    call.on("data", (request) => {
      if (failed) return;
      const name = checkName(request.name);
      if (typeof name !== "string") {
        failed = true;
        callback(name);
      } else names.push(name);
    });
    call.on("end", () => {
      if (failed) return;
      callback(null, {
        message: names.length === 0 ? "Hello, nobody!" : greeting(names.join(", ")),
      });
    });
  },
  SayHelloBidirectional(call) {
    let failed = false;
    call.on("data", (request) => {
      if (failed) return;
      const name = checkName(request.name);
      if (typeof name !== "string") {
        failed = true;
        call.emit("error", name);
      } else if (!call.write({ message: greeting(name) })) {
        // Stop reading until the client takes the replies (flow control).
        call.pause();
        call.once("drain", () => call.resume());
      }
    });
    call.on("end", () => {
      if (!failed) call.end();
    });
  },
};

async function main() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const spec = JSON.parse((await lines.next()).value);
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const { helloworld } = grpc.loadPackageDefinition(definition);
  const server = new grpc.Server({
    ...spec.connectionOptions,
    "grpc.max_receive_message_length": spec.maxReceiveMessageBytes,
  });
  server.addService(helloworld.Greeter.service, handlers);
  const credentials = grpc.ServerCredentials.createSsl(
    null,
    [{ cert_chain: Buffer.from(spec.cert), private_key: Buffer.from(spec.key) }],
    false,
  );
  const port = await new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", credentials, (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  const stats = () => {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      calls: 0,
    };
  };
  const out = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
  out({ port });
  for (;;) {
    const { value: line, done } = await lines.next();
    if (done || line === "quit") break;
    if (line === "stats") out(stats());
    else if (line === "gc") {
      for (let i = 0; i < 3; i++) {
        globalThis.gc?.();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      out(stats());
    }
  }
  server.forceShutdown();
  process.exit(0);
}

await main();
