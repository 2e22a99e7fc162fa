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
import { GREETER_PROTO_PATH, HEALTH_PROTO_PATH, PROTO_LOADER_OPTIONS } from "../shared/proto.ts";

/** The reflection services, by their fully qualified names. */
export const REFLECTION_SERVICES: readonly string[] = [
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

/**
 * Adds both reflection services to `server`, describing the Greeter contract
 * and the standard health service.
 *
 * @param server the server to add them to (before it starts)
 */
export function addReflection(server: Pick<grpc.Server, "addService">): void {
  const definition = protoLoader.loadSync(
    [GREETER_PROTO_PATH, HEALTH_PROTO_PATH],
    PROTO_LOADER_OPTIONS,
  );
  new ReflectionService(definition).addToServer(server);
}
