/**
 * The channel's retry policy, expressed as a gRPC service config so grpc-js
 * itself retries (with exponential backoff and jitter) instead of a hand loop.
 *
 * grpc-js retries only while a call is uncommitted (no response headers or
 * messages received yet) and, for client-streaming calls, while the sent
 * messages fit its retry buffer; so a retry never replays half a conversation.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { GREETER_SERVICE_NAME } from "../shared/proto.ts";

/** Retry settings for `UNAVAILABLE` answers. */
export interface RetryOptions {
  /** Attempts including the first; grpc-js caps this at 5; 1 turns retries off. @default 4 */
  maxAttempts?: number;
  /** Backoff before the first retry, in milliseconds (jittered by grpc-js). @default 100 */
  initialBackoffMs?: number;
  /** Upper bound for one backoff, in milliseconds. @default 2000 */
  maxBackoffMs?: number;
  /** Growth of the backoff per attempt. @default 2 */
  backoffMultiplier?: number;
  /** Services the policy applies to. @default ["helloworld.Greeter"] */
  services?: readonly string[];
}

/**
 * Returns the `grpc.service_config` JSON with a `retryPolicy` retrying
 * `UNAVAILABLE` for the given services.
 *
 * @param options attempts and backoff; see {@linkcode RetryOptions}
 * @returns the service config as a JSON string
 *
 * @example
 * ```ts
 * const channelOptions = { "grpc.enable_retries": 1, "grpc.service_config": retryServiceConfig() };
 * ```
 */
export function retryServiceConfig(options: RetryOptions = {}): string {
  const maxAttempts = options.maxAttempts ?? 4;
  const initial = options.initialBackoffMs ?? 100;
  const max = options.maxBackoffMs ?? 2000;
  const multiplier = options.backoffMultiplier ?? 2;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 5) {
    throw new TypeError(`retry maxAttempts must be 1-5, got ${maxAttempts}`);
  }
  if (!(initial > 0) || !(max >= initial) || !(multiplier >= 1)) {
    throw new TypeError("retry backoff must satisfy 0 < initial <= max and multiplier >= 1");
  }
  const services = options.services ?? [GREETER_SERVICE_NAME];
  const methodConfig: Record<string, unknown> = {
    name: services.map((service) => ({ service })),
  };
  // grpc-js rejects a retryPolicy with maxAttempts < 2; 1 means "no policy".
  if (maxAttempts >= 2) {
    methodConfig.retryPolicy = {
      maxAttempts,
      initialBackoff: seconds(initial),
      maxBackoff: seconds(max),
      backoffMultiplier: multiplier,
      retryableStatusCodes: ["UNAVAILABLE"],
    };
  }
  return JSON.stringify({ methodConfig: [methodConfig] });
}

/**
 * Channel options enabling retries with {@linkcode retryServiceConfig}.
 *
 * @param options attempts and backoff
 * @returns channel options to merge into the client's
 */
export function retryChannelOptions(options: RetryOptions = {}): grpc.ChannelOptions {
  return {
    "grpc.enable_retries": 1,
    "grpc.service_config": retryServiceConfig(options),
    // The service config is ours; a resolver-provided one must not replace it.
    "grpc.service_config_disable_resolution": 1,
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")}s`;
}
