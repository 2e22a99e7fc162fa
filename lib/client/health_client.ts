/**
 * A minimal `grpc.health.v1.Health` client, from `health.proto` beside this
 * module (the standard messages). The `grpc-health-check` package is not used:
 * its module loads its proto at import time through proto-loader's
 * include-path probe, which under Deno needs `--allow-sys` (without it:
 * ENOENT for `health/v1/health.proto`), and the client should not need that.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { channelSecurity, type ChannelTlsMaterial } from "./credentials.ts";
import { DEFAULT_CALL_DEADLINE_MS } from "../shared/defaults.ts";
import { HEALTH_PROTO_PATH, PROTO_LOADER_OPTIONS } from "../shared/proto.ts";

/** A health status as the server reports it. */
export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

/** Options for {@linkcode checkHealth}. */
export interface CheckHealthOptions {
  /** `host:port` to dial. */
  target: string;
  /** TLS material, or `null` for plaintext. */
  tls: ChannelTlsMaterial | null;
  /** Service to ask about; `""` is the server as a whole. @default "" */
  service?: string;
  /** Deadline, in milliseconds. @default DEFAULT_CALL_DEADLINE_MS (5000) */
  deadlineMs?: number;
  /** Extra request metadata (the check needs no token). */
  metadata?: grpc.Metadata;
  /** Clock for the deadline. @default Date.now */
  now?: () => number;
}

type HealthClient = grpc.Client & {
  Check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<{ status: ServingStatus }>,
  ): grpc.ClientUnaryCall;
};

let definition: grpc.ServiceDefinition | undefined;

/**
 * The `grpc.health.v1.Health` service definition (loaded once), for clients
 * and for test servers.
 */
export function healthServiceDefinition(): grpc.ServiceDefinition {
  definition ??= protoLoader.loadSync(
    HEALTH_PROTO_PATH,
    PROTO_LOADER_OPTIONS,
  )["grpc.health.v1.Health"] as grpc.ServiceDefinition;
  return definition;
}

let constructor: HealthClientConstructor | undefined;

type HealthClientConstructor = new (
  target: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => HealthClient;

function healthClientConstructor(): HealthClientConstructor {
  constructor ??= grpc.makeClientConstructor(
    healthServiceDefinition(),
    "grpc.health.v1.Health",
  ) as unknown as HealthClientConstructor;
  return constructor;
}

/**
 * Calls `Health/Check` once on a fresh channel (closed afterwards).
 *
 * @param options target, TLS, service name and deadline
 * @returns the reported status; rejects with the call's `ServiceError`
 *
 * @example
 * ```ts
 * const status = await checkHealth({ target: "127.0.0.1:50051", tls: { ca } });
 * ```
 */
export async function checkHealth(options: CheckHealthOptions): Promise<ServingStatus> {
  const now = options.now ?? Date.now;
  const security = channelSecurity(options.target, options.tls);
  const client = new (healthClientConstructor())(
    options.target,
    security.credentials,
    security.options,
  );
  try {
    return await new Promise<ServingStatus>((resolve, reject) => {
      client.Check(
        { service: options.service ?? "" },
        options.metadata ?? new grpc.Metadata(),
        { deadline: new Date(now() + (options.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS)) },
        (error, reply) => (error ? reject(error) : resolve(reply!.status)),
      );
    });
  } finally {
    client.close();
  }
}
