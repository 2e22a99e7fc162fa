#!/usr/bin/env node
// Minimal Node.js TLS client for helloworld.Greeter/SayHello (interop check).
//
//   node tests/interop/node_tls_client.mjs --target 127.0.0.1:50051 --ca ca.pem \
//       --token "$JWT" [--name node] [--proto path/to/greeter.proto] [--timeout 10]
//
// Prints the reply as JSON and exits 0, or prints "<code> <NAME>: <details>"
// on stdout and exits 1; bad usage exits 2. @grpc/grpc-js and
// @grpc/proto-loader are resolved relative to this file (the project's
// node_modules), never from the working directory. With an IP target Node
// prints a harmless DEP0123 warning (grpc-js passes the IP as TLS ServerName).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

let values;
try {
  ({ values } = parseArgs({
    options: {
      target: { type: "string" },
      ca: { type: "string" },
      token: { type: "string" },
      name: { type: "string", default: "node" },
      proto: {
        type: "string",
        default: fileURLToPath(new URL("../../protos/greeter.proto", import.meta.url)),
      },
      "server-name": { type: "string" },
      timeout: { type: "string", default: "10" },
    },
  }));
  if (!values.target || !values.ca) throw new Error("--target and --ca are required");
} catch (err) {
  console.error(
    `usage: node_tls_client.mjs --target HOST:PORT --ca PEM [--token JWT] ` +
      `[--name NAME] [--proto FILE] [--server-name NAME] [--timeout SECONDS]\n${err.message}`,
  );
  process.exit(2);
}

const definition = protoLoader.loadSync(values.proto, {
  keepCase: true,
  longs: Number,
  defaults: true,
});
const { Greeter } = grpc.loadPackageDefinition(definition).helloworld;

const options = {};
if (values["server-name"]) options["grpc.ssl_target_name_override"] = values["server-name"];
const client = new Greeter(
  values.target,
  grpc.credentials.createSsl(readFileSync(values.ca)),
  options,
);

const metadata = new grpc.Metadata();
if (values.token) metadata.set("authorization", `Bearer ${values.token}`);
const deadline = new Date(Date.now() + Number(values.timeout) * 1000);

client.SayHello({ name: values.name }, metadata, { deadline }, (err, reply) => {
  client.close();
  if (err) {
    console.log(`${err.code} ${grpc.status[err.code] ?? "?"}: ${err.details}`);
    process.exit(1);
  }
  console.log(JSON.stringify(reply));
  process.exit(0);
});
