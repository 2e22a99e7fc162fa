/**
 * Server reflection (`grpc.reflection.v1` and `v1alpha`), so grpcurl, buf
 * curl, Postman and evans can list the services and call them without the
 * `.proto` files at hand. It reveals the schema only: the Greeter contract and
 * the health service.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { fileURLToPath } from "node:url";
import { GREETER_PROTO_PATH } from "../shared/proto.ts";

/** The reflection services, by their fully qualified names. */
export const REFLECTION_SERVICES: readonly string[] = [
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

/** Absolute path of the health contract, resolved from this module. */
const HEALTH_PROTO_PATH = fileURLToPath(new URL("../../protos/health.proto", import.meta.url));

/**
 * Adds both reflection services to `server`, describing the Greeter contract
 * and the standard health service.
 *
 * @param server the server to add them to (before it starts)
 */
export function addReflection(server: Pick<grpc.Server, "addService">): void {
  const definition = protoLoader.loadSync([GREETER_PROTO_PATH, HEALTH_PROTO_PATH], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  new ReflectionService(definition).addToServer(server);
}
