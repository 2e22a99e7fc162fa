/**
 * Auth interceptor: bearer token -> verified claims and identity, or
 * `UNAUTHENTICATED`; then the authorization policy -> `PERMISSION_DENIED`
 * naming the missing scope or role. The only place in the server that decides
 * who a caller is and what they may call.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  type AuthzPolicy,
  decide,
  type Identity,
  identityOf,
  namesMethod,
  OPEN_POLICY,
  type Requirement,
  requirementFor,
} from "../../auth/authz_policy.ts";
import {
  BearerParser,
  type GreeterClaims,
  TokenError,
  type TokenRejection,
  type TokenVerifier,
} from "../../auth/jwt.ts";
import { callContextOf } from "../call_context.ts";
import {
  type CallHooks,
  type CallStage,
  type CallStatus,
  composeCallStages,
} from "./call_stage.ts";
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from "../../shared/defaults.ts";

/**
 * Services reachable without a token: health probes for load balancers, and
 * reflection. A policy rule naming one of them makes it need a token.
 */
export const DEFAULT_PUBLIC_SERVICES: readonly string[] = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

/** Methods whose needs (public or not, the policy's rule) the auth stage keeps. */
const MAX_CACHED_METHODS = 1024;

/** Longest delay `setTimeout` honours, in milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Shared abort reasons for a pending key wait: `abort()` without a reason
 * builds a `DOMException` with a stack trace, which showed in profiles.
 */
const CALL_ENDED = new DOMException("call ended", "AbortError");
const DEADLINE_PASSED = new DOMException("deadline passed", "AbortError");

/** Options for {@linkcode createAuthInterceptor}. */
export interface AuthInterceptorOptions {
  /** Checks tokens (and caches verified ones). */
  verifier: TokenVerifier;
  /**
   * Fully qualified services that need no token, unless `policy` names them.
   * @default DEFAULT_PUBLIC_SERVICES
   */
  publicServices?: readonly string[];
  /** Scopes and roles each method requires. @default OPEN_POLICY (any valid token) */
  policy?: AuthzPolicy;
  /** Allowed clock difference when ending streams at token expiry, in seconds.
   * @default DEFAULT_CLOCK_TOLERANCE_SECONDS (5)
   */
  clockToleranceSeconds?: number;
  /** Clock, in milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /**
   * Told why each refused call was refused (metrics count these): a
   * {@linkcode TokenRejection}, `invalid` for a verifier failure without one,
   * or `permission` when the policy denied a valid token. @default nothing
   */
  onReject?: (reason: AuthRejection) => void;
}

/** Why the auth interceptor refused a call; see {@linkcode AuthInterceptorOptions.onReject}. */
export type AuthRejection = TokenRejection | "invalid" | "permission";

/**
 * Builds the auth interceptor.
 *
 * - Reads `authorization: Bearer <JWT>`; a missing, malformed or refused token
 *   ends the call with `UNAUTHENTICATED` and a short reason. The handler is
 *   never started, so no message reaches it before authentication: grpc-js
 *   holds incoming messages while metadata is being processed.
 * - On success the claims are bound to the call context and the
 *   `authorization` entry is removed, so handlers never see the raw token.
 * - A streaming call outliving its token is ended with `UNAUTHENTICATED`
 *   ("token expired") when the token expires.
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): grpc.ServerInterceptor {
  return composeCallStages([["auth", authStage(options)]]);
}

/**
 * The auth stage (see `call_stage.ts`): what {@linkcode createAuthInterceptor}
 * does, for a chain of stages. Place it last, so nothing after it runs for a
 * caller it refuses; the stages before it see its refusals.
 *
 * @param options the verifier, public services, policy and clock
 * @returns the stage
 *
 * @example
 * ```ts
 * const stage = authStage({ verifier: createTokenVerifier({ secret, issuer, audience }) });
 * ```
 */
export function authStage(options: AuthInterceptorOptions): CallStage {
  const policy = options.policy ?? OPEN_POLICY;
  const publicPrefixes = (options.publicServices ?? DEFAULT_PUBLIC_SERVICES).map((s) => `/${s}/`);
  // The verifier's cache hands back the same frozen claims for a token each
  // time, so the (frozen) identity built from them is kept with them.
  const identities = new WeakMap<GreeterClaims, Identity>();
  const shared: AuthShared = {
    verifier: options.verifier,
    bearer: new BearerParser(),
    onReject: options.onReject,
    toleranceMs: (options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS) * 1000,
    now: options.now ?? Date.now,
    identityFor(claims) {
      let identity = identities.get(claims);
      if (identity === undefined) {
        identity = identityOf(claims, policy.rolesClaim);
        identities.set(claims, identity);
      }
      return identity;
    },
  };
  // What each method needs, worked out on its first call (paths are the
  // server's methods; the bound only guards against a grpc-js that routes
  // others here).
  const methods = new Map<string, MethodAuth>();
  const methodAuth = (path: string): MethodAuth => {
    let found = methods.get(path);
    if (found === undefined) {
      found = {
        open: publicPrefixes.some((prefix) => path.startsWith(prefix)) &&
          !namesMethod(policy, path),
        rule: requirementFor(policy, path),
      };
      if (methods.size < MAX_CACHED_METHODS) methods.set(path, found);
    }
    return found;
  };
  return (method, call, endCall) => {
    const { open, rule } = methodAuth(method.path);
    return open ? undefined : new AuthHooks(shared, method, rule, call, endCall);
  };
}

/** What a method needs: nothing (public), or a valid token and the policy's rule. */
interface MethodAuth {
  /** Reachable without a token. */
  readonly open: boolean;
  /** The policy's rule (`undefined`: any valid token). */
  readonly rule: Requirement | undefined;
}

/** What every call's auth hooks share: the stage's settings. */
interface AuthShared {
  readonly verifier: TokenVerifier;
  /** Reads the bearer token, remembering the last header. */
  readonly bearer: BearerParser;
  readonly onReject: ((reason: AuthRejection) => void) | undefined;
  readonly toleranceMs: number;
  readonly now: () => number;
  identityFor(claims: GreeterClaims): Identity;
}

/** One call's auth: its token check and timers, one object per call (no closures on the cached path). */
class AuthHooks implements CallHooks {
  ended = false;
  expiryTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  deadlineTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /**
   * Ends a wait for fresh signing keys when the caller gives up or the
   * deadline passes; made only when the token is not in the verifier's cache.
   */
  verifying: AbortController | undefined = undefined;

  constructor(
    readonly shared: AuthShared,
    readonly method: grpc.ServerMethodDefinition<unknown, unknown>,
    /** The method's rule (`undefined`: any valid token). */
    readonly rule: Requirement | undefined,
    readonly call: grpc.ServerInterceptingCallInterface,
    readonly endCall: (status: CallStatus) => void,
  ) {}

  onReceiveMetadata(metadata: grpc.Metadata, next: (metadata: grpc.Metadata) => void): void {
    const values = metadata.get("authorization");
    let token: string;
    try {
      if (values.length > 1) throw new TokenError("malformed");
      token = this.shared.bearer.parse(values.length === 0 ? undefined : String(values[0]));
    } catch (error) {
      this.reject((error as TokenError).message, (error as TokenError).reason);
      return;
    }
    // A token verified before: no promise, timer or signal for this call.
    const known = this.shared.verifier.cached?.(token);
    if (known !== undefined) {
      this.admit(known, metadata, next);
      return;
    }
    const controller = this.verifying = new AbortController();
    const deadline = this.call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    if (Number.isFinite(deadlineMs)) {
      this.deadlineTimer = setTimeout(
        () => controller.abort(DEADLINE_PASSED),
        Math.min(Math.max(0, deadlineMs - Date.now()), MAX_TIMER_MS),
      );
    }
    this.shared.verifier.verify(token, controller.signal).then((claims) => {
      clearTimeout(this.deadlineTimer);
      this.verifying = undefined;
      if (!this.ended) this.admit(claims, metadata, next);
    }, (error: unknown) => {
      if (error instanceof TokenError) this.reject(error.message, error.reason);
      else this.reject("invalid bearer token", "invalid");
    });
  }

  onCancel(): void {
    this.end();
  }

  sendStatus(): void {
    this.end();
  }

  admit(claims: GreeterClaims, metadata: grpc.Metadata, next: (metadata: grpc.Metadata) => void) {
    const identity = this.shared.identityFor(claims);
    const decision = decide(this.rule, identity);
    if (!decision.allowed) {
      this.reject(decision.message, "permission");
      return;
    }
    const context = callContextOf(metadata);
    context.claims = claims;
    context.identity = identity;
    metadata.remove("authorization");
    if (this.method.requestStream || this.method.responseStream) {
      this.armExpiry(claims.exp * 1000 + this.shared.toleranceMs);
    }
    if (!this.ended) next(metadata);
  }

  end(): void {
    this.ended = true;
    clearTimeout(this.expiryTimer);
    if (this.verifying !== undefined) {
      clearTimeout(this.deadlineTimer);
      this.verifying.abort(CALL_ENDED);
      this.verifying = undefined;
    }
  }

  reject(message: string, reason: AuthRejection): void {
    if (this.ended) return;
    this.end();
    this.shared.onReject?.(reason);
    this.endCall({
      code: reason === "permission" ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED,
      details: message,
    });
  }

  /**
   * Ends the call when the token expires. Timers take at most 2^31-1 ms
   * (about 24.8 days); a longer delay fires at once. So a long-lived token is
   * checked in steps until it expires.
   */
  armExpiry(expiresAt: number): void {
    const remaining = expiresAt - this.shared.now();
    if (remaining <= 0) return this.reject("token expired", "expired");
    this.expiryTimer = setTimeout(
      () => this.armExpiry(expiresAt),
      Math.min(remaining, MAX_TIMER_MS),
    );
  }
}
