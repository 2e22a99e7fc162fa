/**
 * The Greeter's secure gRPC stack as a library for Deno and `@grpc/grpc-js`:
 * JWT auth and call logging as server interceptors for any grpc-js server,
 * server TLS credentials, a typed accessor for what the interceptors
 * established about a call, token signing and verification, and the Greeter
 * server and client themselves.
 *
 * @example Auth, logging and TLS on your own grpc-js server
 * ```ts
 * import * as grpc from "@grpc/grpc-js";
 * import { callContext, createInterceptorChain, createServerCredentials } from "@greeter/deno-grpc";
 *
 * const secret = new TextEncoder().encode(Deno.env.get("GREETER_JWT_SECRET"));
 * const server = new grpc.Server({
 *   interceptors: createInterceptorChain({
 *     auth: { secret, issuer: "greeter", audience: "helloworld.Greeter" },
 *   }),
 * });
 * // In a handler: const { claims, requestId } = callContext(call);
 * server.bindAsync(
 *   "127.0.0.1:50051",
 *   createServerCredentials({
 *     cert: Deno.readTextFileSync("cert.pem"),
 *     key: Deno.readTextFileSync("key.pem"),
 *   }),
 *   () => {},
 * );
 * ```
 *
 * @module
 */

// Server side: the interceptor chain, what it tells handlers, TLS.
export {
  type ChainAuthOptions,
  type ChainLoggingOptions,
  type ChainTracingOptions,
  createInterceptorChain,
  INTERCEPTOR_ORDER,
  type InterceptorChainOptions,
  type InterceptorStage,
} from "./lib/server/interceptors/interceptor_chain.ts";
export {
  type CallStats,
  createCallLogLimiter,
  REQUEST_ID_HEADER,
} from "./lib/server/interceptors/logging.ts";
export type { LogLimiter } from "./lib/server/interceptors/log_limiter.ts";
export {
  type CallHooks,
  type CallStage,
  type CallStatus,
  composeCallStages,
  type StagesInterceptor,
} from "./lib/server/interceptors/call_stage.ts";
export { type CallContext, callContext, type ServerCallLike } from "./lib/server/call_context.ts";
export { createServerCredentials, type ServerTlsMaterial } from "./lib/server/credentials.ts";

// Operations: metrics for Prometheus, the admin endpoint, tracing.
export type {
  CallSpan,
  CallSpanContext,
  SpanStarter,
  SpanStartOptions,
} from "./lib/shared/tracing.ts";
export {
  createTraceSampler,
  TRACE_SAMPLERS,
  type TraceSampler,
  type TraceSamplerName,
} from "./lib/shared/tracing.ts";
export {
  createServerMetrics,
  GRPC_HANDLING_BUCKETS,
  type GrpcType,
  MethodSeries,
  type MethodShape,
  type MetricSources,
  type ServerMetrics,
  type ServerMetricsOptions,
} from "./lib/server/metrics.ts";
export {
  type AdminServerOptions,
  type RunningAdminServer,
  startAdminServer,
} from "./lib/server/admin_server.ts";

// The Greeter server.
export {
  type GreeterServerOptions,
  type ReflectionMode,
  type RunningGreeterServer,
  type ServerAuthOptions,
  type ServerPhase,
  type ShutdownSummary,
  startGreeterServer,
} from "./lib/server/greeter_server.ts";
export type { GreeterCallContext, GreeterService } from "./lib/server/handlers/greeter.ts";
export type { ReplyFlowOptions } from "./lib/server/handlers/reply_flow.ts";

// Tokens.
export {
  createTokenVerifier,
  type GreeterClaims,
  type HmacAlgorithm,
  MIN_SECRET_BYTES,
  signToken,
  type SignTokenOptions,
  TokenError,
  type TokenRejection,
  type TokenVerifier,
  type TokenVerifierOptions,
} from "./lib/auth/jwt.ts";
export {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  type FetchText,
  fileKeySource,
  type FileKeySourceOptions,
  jwksUrlKeySource,
  type JwksUrlKeySourceOptions,
  type KeySource,
  KeySourceError,
  type KeySourceEvent,
  oidcKeySource,
  type OidcKeySourceOptions,
  type RemoteKeySourceOptions,
} from "./lib/auth/jwks.ts";
export {
  authorize,
  type AuthzDecision,
  type AuthzPolicy,
  type Identity,
  identityOf,
  OPEN_POLICY,
  parseAuthzPolicy,
  PolicyError,
  type Requirement,
} from "./lib/auth/authz_policy.ts";
export { readSecretFile } from "./lib/auth/secret_file.ts";

// The Greeter client.
export {
  type BidiCall,
  type ClientStreamCall,
  createGreeterClient,
  type GreeterCallOptions,
  type GreeterClientOptions,
  type GreeterConnection,
  type ServerStreamCall,
} from "./lib/client/greeter_client.ts";
export type { ChannelTlsMaterial } from "./lib/client/credentials.ts";
export type { RetryOptions } from "./lib/client/service_config.ts";
export {
  createTokenProvider,
  fileTokenSource,
  type IssuedToken,
  mintingTokenSource,
  type MintingTokenSourceOptions,
  staticTokenSource,
  type TokenProvider,
  type TokenProviderOptions,
  type TokenSource,
} from "./lib/client/token_provider.ts";
export {
  type ClientCredentialsOptions,
  type ClientCredentialsSource,
  clientCredentialsTokenSource,
  createClientCredentialsProvider,
} from "./lib/client/oauth_token_provider.ts";

// Logging set-up (call lines are written through logtape).
export { type LogFormat, type LoggingOptions, setupLogging } from "./lib/shared/log.ts";

// The contract's message and client types.
export type {
  GreeterClient,
  HelloReply,
  HelloReply__Output,
  HelloRequest,
  HelloRequest__Output,
} from "./lib/shared/proto.ts";
