/**
 * Auth interceptor: bearer token -> verified claims, or `UNAUTHENTICATED`.
 * The only place in the server that decides who a caller is.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { parseBearer, TokenError, type TokenVerifier } from "../../auth/jwt.ts";
import { callContextOf } from "../call_context.ts";

/** Services reachable without a token: health probes for load balancers. */
export const DEFAULT_PUBLIC_SERVICES: readonly string[] = ["grpc.health.v1.Health"];

/** Longest delay `setTimeout` honours, in milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options for {@linkcode createAuthInterceptor}. */
export interface AuthInterceptorOptions {
  /** Checks tokens (and caches verified ones). */
  verifier: TokenVerifier;
  /** Fully qualified services that need no token. @default DEFAULT_PUBLIC_SERVICES */
  publicServices?: readonly string[];
  /** Allowed clock difference when ending streams at token expiry, in seconds. @default 5 */
  clockToleranceSeconds?: number;
  /** Clock, in milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

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
  const { verifier } = options;
  const publicPrefixes = (options.publicServices ?? DEFAULT_PUBLIC_SERVICES).map((s) => `/${s}/`);
  const toleranceMs = (options.clockToleranceSeconds ?? 5) * 1000;
  const now = options.now ?? Date.now;

  return (method, call) => {
    if (publicPrefixes.some((prefix) => method.path.startsWith(prefix))) {
      return new grpc.ServerInterceptingCall(call);
    }
    const streaming = method.requestStream || method.responseStream;
    let ended = false;
    let expiryTimer: ReturnType<typeof setTimeout> | undefined;
    const end = () => {
      ended = true;
      clearTimeout(expiryTimer);
    };
    const reject = (message: string) => {
      if (ended) return;
      end();
      call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: message });
    };
    // Timers take at most 2^31-1 ms (about 24.8 days); a longer delay fires
    // at once. So a long-lived token is checked in steps until it expires.
    const armExpiry = (expiresAt: number) => {
      const remaining = expiresAt - now();
      if (remaining <= 0) return reject("token expired");
      expiryTimer = setTimeout(() => armExpiry(expiresAt), Math.min(remaining, MAX_TIMER_MS));
    };

    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const values = metadata.get("authorization");
            let token: string;
            try {
              if (values.length > 1) throw new TokenError("malformed");
              token = parseBearer(values.length === 0 ? undefined : String(values[0]));
            } catch (error) {
              reject((error as TokenError).message);
              return;
            }
            verifier.verify(token).then((claims) => {
              if (ended) return;
              callContextOf(metadata).claims = claims;
              metadata.remove("authorization");
              if (streaming) armExpiry(claims.exp * 1000 + toleranceMs);
              if (!ended) nextMetadata(metadata);
            }, (error: unknown) => {
              reject(error instanceof TokenError ? error.message : "invalid bearer token");
            });
          },
          onCancel: end,
        });
      },
      sendStatus(status, next) {
        end();
        next(status);
      },
    });
  };
}
