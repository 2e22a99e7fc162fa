/**
 * The server's interceptor chain: one ordered list, built and validated in one
 * place, for the Greeter server and for any other grpc-js server.
 *
 * To add an interceptor: add its stage name to {@linkcode INTERCEPTOR_ORDER}
 * (with a line on why it sits there), an optional part to
 * {@linkcode InterceptorChainOptions}, and its builder to `stages` below.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { AuthzPolicy } from "../../auth/authz_policy.ts";
import { createTokenVerifier, type TokenVerifierOptions } from "../../auth/jwt.ts";
import {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
} from "../../shared/defaults.ts";
import { greeterLogger } from "../../shared/log.ts";
import { authStage as createAuthStage, DEFAULT_PUBLIC_SERVICES } from "./auth.ts";
import { type CallStats, loggingStage } from "./logging.ts";
import type { LogLimiter } from "./log_limiter.ts";
import { metricsStage } from "./metrics.ts";
import { tracingStage } from "./tracing.ts";
import { type CallStage, composeCallStages, type StagesInterceptor } from "./call_stage.ts";
import { callContextOf } from "../call_context.ts";
import type { ServerMetrics } from "../metrics.ts";
import {
  greeterTracer,
  type SpanStarter,
  type TraceSampler,
  tracingEnabled,
} from "../../shared/tracing.ts";

/**
 * The stages of the chain, first entry outermost (nearest the network).
 *
 * - `metrics` comes first so that it counts every call, including the ones a
 *   later stage rejects, and times the whole call, as go-grpc-prometheus does.
 * - `logging` comes next, for the same reasons, and assigns the request id
 *   that later stages and handlers read.
 * - `tracing` starts the call's span before auth, so refused calls are traced
 *   too; it sets the trace and span id that the logging stage writes when the
 *   call ends.
 * - `auth` comes last, so that nothing after it (handlers) runs for an
 *   unauthenticated caller.
 */
export const INTERCEPTOR_ORDER = ["metrics", "logging", "tracing", "auth"] as const;

/** One stage of the chain; see {@linkcode INTERCEPTOR_ORDER}. */
export type InterceptorStage = typeof INTERCEPTOR_ORDER[number];

/**
 * Token checks of the auth stage: the verifier's options (less its clock,
 * which is the chain's `now`), the services reachable without a token, and
 * the scopes and roles each method requires. A `keys` source belongs to the
 * caller, who closes it after the server.
 */
export interface ChainAuthOptions extends Omit<TokenVerifierOptions, "now"> {
  /**
   * Fully qualified services that need no token, unless `policy` names them.
   * @default DEFAULT_PUBLIC_SERVICES (health and reflection)
   */
  publicServices?: readonly string[];
  /**
   * Scopes and roles per method; a valid token lacking them gets
   * `PERMISSION_DENIED`. @default OPEN_POLICY (any valid token)
   */
  policy?: AuthzPolicy;
}

/** Options of the logging stage. */
export interface ChainLoggingOptions {
  /** Where call lines go. @default greeterLogger("server", "call") */
  logger?: Logger;
  /** Counters to update; pass one to read live call counts elsewhere. @default a private object */
  stats?: CallStats;
  /** Bounds the lines of failed calls; pass one to flush it at shutdown. @default one per chain */
  limiter?: LogLimiter;
  /**
   * Send each call's request id back in the response headers and trailers
   * (`x-request-id`). `false` still makes and logs the ids but keeps them
   * from callers, and saves the two extra header fields per call (see
   * BENCHMARKS.md for what they cost). @default true
   */
  echoRequestId?: boolean;
}

/** Options of the tracing stage. */
export interface ChainTracingOptions {
  /**
   * Where spans come from. @default Deno's span for each HTTP/2 request, or
   * else the `greeter` tracer of the registered provider
   */
  tracer?: SpanStarter;
  /**
   * Which calls' spans are exported (`createTraceSampler`, from
   * `OTEL_TRACES_SAMPLER`). @default every call
   */
  sampler?: TraceSampler;
}

/** Options for {@linkcode createInterceptorChain}. Every part is optional. */
export interface InterceptorChainOptions {
  /**
   * Where the metrics stage counts calls (and the auth stage its refusals);
   * `null` or absent leaves the stage out.
   * @default null
   */
  metrics?: ServerMetrics | null;
  /**
   * Tracing: one span per call. Absent, or an object without a tracer, means
   * on exactly when an OpenTelemetry tracer provider is registered (Deno
   * under `OTEL_DENO=true`); `false` leaves the stage out; an object with a
   * tracer turns it on with that tracer.
   * @default on when tracingEnabled()
   */
  tracing?: ChainTracingOptions | false;
  /**
   * Token checks; `null` or absent serves without auth. The clock tolerance
   * given here is used both to verify tokens and to end streams that outlive
   * theirs.
   * @default null
   */
  auth?: ChainAuthOptions | null;
  /** Call logging; `false` leaves the stage out (request ids are then made on first read). @default {} */
  logging?: ChainLoggingOptions | false;
  /** Wall clock in milliseconds since the epoch, for token checks. @default Date.now */
  now?: () => number;
}

/**
 * Builds the interceptor list for a grpc-js server (`new grpc.Server({
 * interceptors })`): the stages asked for, in the order of
 * {@linkcode INTERCEPTOR_ORDER}, run by one grpc-js interceptor (one layer
 * per call instead of one per stage; see `call_stage.ts`), so the list holds
 * one interceptor, or none when every stage is off; its `stages` names them.
 * Options are checked now, so a bad secret, issuer or tolerance fails at
 * start-up rather than on the first call. Interceptors of your own can go
 * before or after it in the server's list.
 *
 * Handlers read what the chain established with `callContext(call)`.
 *
 * @param options which stages to include and how to set them up
 * @returns the chain's interceptor, or none
 * @throws {Error} naming the option that is wrong
 *
 * @example Auth and logging on your own server
 * ```ts
 * import * as grpc from "@grpc/grpc-js";
 * import { createInterceptorChain } from "@greeter/deno-grpc";
 *
 * const secret = new TextEncoder().encode(Deno.env.get("GREETER_JWT_SECRET"));
 * const server = new grpc.Server({
 *   interceptors: createInterceptorChain({
 *     auth: { secret, issuer: "greeter", audience: "helloworld.Greeter" },
 *   }),
 * });
 * ```
 */
export function createInterceptorChain(
  options: InterceptorChainOptions = {},
): StagesInterceptor[] {
  const auth = options.auth ?? null;
  const logging = options.logging ?? {};
  const metrics = options.metrics ?? null;
  // Without a tracer of its own, the stage exists only while a provider is registered.
  const tracing = options.tracing === false ||
      (options.tracing?.tracer === undefined && !tracingEnabled())
    ? false
    : options.tracing ?? {};
  const stages: Record<InterceptorStage, CallStage | undefined> = {
    metrics: metrics === null ? undefined : metricsStage({ metrics }),
    tracing: tracing === false ? undefined : tracingStage({
      tracer: tracing.tracer ?? greeterTracer(),
      // Deno's own span for the request is the call's span, unless a tracer was given.
      adoptRuntimeSpan: tracing.tracer === undefined,
      ...(tracing.sampler === undefined ? {} : { sampler: tracing.sampler }),
      onSpan(metadata, traceId, spanId) {
        const context = callContextOf(metadata);
        context.traceId = traceId;
        context.spanId = spanId;
      },
    }),
    logging: logging === false ? undefined : loggingStage({
      logger: logging.logger ?? greeterLogger("server", "call"),
      stats: logging.stats,
      limiter: logging.limiter,
      echoRequestId: logging.echoRequestId,
    }),
    auth: auth === null ? undefined : authStage(auth, options.now, metrics),
  };
  const present = INTERCEPTOR_ORDER.flatMap((name) => {
    const stage = stages[name];
    return stage === undefined ? [] : [[name, stage] as const];
  });
  return present.length === 0 ? [] : [composeCallStages(present)];
}

function authStage(
  auth: ChainAuthOptions,
  now: (() => number) | undefined,
  metrics: ServerMetrics | null,
) {
  const { publicServices = DEFAULT_PUBLIC_SERVICES, policy, ...verifierOptions } = auth;
  for (const [name, value] of [["issuer", auth.issuer], ["audience", auth.audience]] as const) {
    if (typeof value !== "string" || value.trim() === "") {
      throw new Error(`auth ${name} must be a non-empty string`);
    }
  }
  const tolerance = auth.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new Error(
      `auth clockToleranceSeconds must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS}, got ${tolerance}`,
    );
  }
  for (const service of publicServices) {
    if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(service)) {
      throw new Error(
        `auth publicServices entry is not a service name: ${JSON.stringify(service)}`,
      );
    }
  }
  const verifier = createTokenVerifier({
    ...verifierOptions,
    clockToleranceSeconds: tolerance,
    now,
  });
  return createAuthStage({
    verifier,
    publicServices,
    clockToleranceSeconds: tolerance,
    now,
    ...(policy === undefined ? {} : { policy }),
    onReject: metrics === null ? undefined : (reason) => metrics.recordAuthFailure(reason),
  });
}
