/**
 * Shared moves of the scenarios: turn "a call that should fail with X" into
 * an outcome.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { statusName, statusOf } from "../../client/greeter_client.ts";
import type { ScenarioOutcome } from "./scenario.ts";

/**
 * Runs `call` and judges it against the expected status name.
 *
 * @param expected e.g. `"UNAUTHENTICATED"`
 * @param call the call; resolving means the server said OK
 */
export async function expectStatus(
  expected: string,
  call: () => Promise<unknown>,
): Promise<ScenarioOutcome> {
  try {
    const value = await call();
    return { got: "OK", pass: expected === "OK", detail: describe(value) };
  } catch (error) {
    return outcomeOfError(expected, error);
  }
}

/** Outcome for a call that failed with `error`. */
export function outcomeOfError(expected: string, error: unknown): ScenarioOutcome {
  const code = statusOf(error);
  if (code === undefined) {
    return {
      got: "error",
      pass: false,
      detail: error instanceof Error ? error.message : String(error),
    };
  }
  const got = statusName(code);
  const details = (error as grpc.ServiceError).details;
  return { got, pass: got === expected, ...(details ? { detail: details } : {}) };
}

/** Outcome for a final status. */
export function outcomeOfStatus(expected: string, status: grpc.StatusObject): ScenarioOutcome {
  const got = statusName(status.code);
  return { got, pass: got === expected, ...(status.details ? { detail: status.details } : {}) };
}

/** Resolves with `promise`'s value, or with `timedOut` after `ms`. */
export async function within<T, U>(promise: Promise<T>, ms: number, timedOut: U): Promise<T | U> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<U>((resolve) => (timer = setTimeout(() => resolve(timedOut), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `authorization` metadata for a raw header value. */
export function authorization(metadata: grpc.Metadata, value: string): grpc.Metadata {
  metadata.set("authorization", value);
  return metadata;
}

function describe(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? "no replies" : value.join(" | ");
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}
