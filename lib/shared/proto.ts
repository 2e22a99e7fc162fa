/**
 * Loads the Greeter contract (`protos/greeter.proto`) once and exposes its
 * service definition and typed client constructor.
 *
 * The path is resolved from `import.meta.url`, never from the working
 * directory, so the same code works from a checkout, from another directory and
 * inside a `deno compile` binary built with `--include protos`.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import type { ProtoGrpcType } from "./generated/greeter.ts";
import type { GreeterClient } from "./generated/helloworld/Greeter.ts";
import type { GreeterHandlers } from "./generated/helloworld/Greeter.ts";

export type { GreeterClient, GreeterHandlers };
export type { HelloReply, HelloReply__Output } from "./generated/helloworld/HelloReply.ts";
export type { HelloRequest, HelloRequest__Output } from "./generated/helloworld/HelloRequest.ts";

/** Absolute path of the contract file, resolved from this module. */
export const GREETER_PROTO_PATH: string = fileURLToPath(
  new URL("../../protos/greeter.proto", import.meta.url),
);

/** Absolute path of the standard health contract, resolved from this module. */
export const HEALTH_PROTO_PATH: string = fileURLToPath(
  new URL("../../protos/health.proto", import.meta.url),
);

export { GREETER_SERVICE_NAME } from "./rpc_kinds.ts";

/**
 * Options shared by every loader of the contract and the health service.
 * `keepCase` keeps the proto's field names; `defaults` fills absent scalars so
 * handlers never see `undefined` for `name` or `count`.
 *
 * @example
 * ```ts
 * protoLoader.loadSync(HEALTH_PROTO_PATH, PROTO_LOADER_OPTIONS);
 * ```
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: ProtoGrpcType | undefined;

/**
 * Returns the loaded `helloworld` package (service definition and client
 * constructor), parsing the `.proto` on first use only.
 *
 * @example
 * ```ts
 * const { helloworld } = loadGreeterProto();
 * server.addService(helloworld.Greeter.service, handlers);
 * ```
 */
export function loadGreeterProto(): ProtoGrpcType {
  if (cached === undefined) {
    const definition = protoLoader.loadSync(GREETER_PROTO_PATH, PROTO_LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
