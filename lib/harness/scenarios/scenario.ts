/**
 * What a conformance scenario is, and the context it runs in.
 *
 * A scenario states what a correct Greeter server must answer (`expected`),
 * makes the calls, and says what it got and whether that is right. It never
 * decides to skip itself: it declares what it `needs`, and the runner skips
 * it, with the reason, when the run cannot provide that.
 *
 * @module
 */
import type { ChannelTlsMaterial } from "../../client/credentials.ts";
import type { GreeterClientOptions, GreeterConnection } from "../../client/greeter_client.ts";
import type { IdentityMaterial } from "../identity_material.ts";

/** Scenario groups, in report order. */
export type ScenarioGroup =
  | "patterns"
  | "auth"
  | "validation"
  | "limits"
  | "lifecycle"
  | "tls"
  | "expiry"
  | "health"
  | "identity";

/**
 * What a scenario needs from the run:
 * - `token`: a valid token that may be sent (TLS, or plaintext with the opt-in);
 * - `send-token`: permission to put an `authorization` header on the wire;
 * - `secret`: the JWT secret, to mint tokens with chosen claims;
 * - `tls`: a TLS target;
 * - `provider-keys`: the OpenID provider's published public keys;
 * - `client-credentials`: a way to get provider tokens with chosen scopes;
 * - `required-scope`: the scope the server requires for `SayHello`;
 * - `signing-key`: a private key the provider publishes (to mint with chosen claims);
 * - `two-signing-keys`: two such keys (a rotation under way);
 * - `retired-key`: a private key the provider no longer publishes.
 */
export type ScenarioNeed =
  | "token"
  | "send-token"
  | "secret"
  | "tls"
  | "provider-keys"
  | "client-credentials"
  | "required-scope"
  | "signing-key"
  | "two-signing-keys"
  | "retired-key";

/** What a scenario saw. */
export interface ScenarioOutcome {
  /** What the server answered, e.g. `"UNAUTHENTICATED"` or `"OK (3 replies)"`. */
  got: string;
  /** Whether `got` is what a correct server answers. */
  pass: boolean;
  /** More detail (status message, the offending reply). */
  detail?: string;
}

/** One conformance check. */
export interface Scenario {
  /** Stable kebab-case name, used by `--only` / `--skip`. */
  readonly name: string;
  /** Group, for the report. */
  readonly group: ScenarioGroup;
  /** What a correct server answers, e.g. `"UNAUTHENTICATED"`. */
  readonly expected: string;
  /** What the run must provide; otherwise the scenario is skipped. @default [] */
  readonly needs?: readonly ScenarioNeed[];
  /** Makes the calls and judges the answer; a throw counts as a failure. */
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

/** Timing knobs of the slower scenarios. */
export interface ScenarioTimings {
  /** Deadline of the deadline-exceeded scenarios, in milliseconds. @default 300 */
  shortDeadlineMs: number;
  /** How long to wait for a single bidi reply before calling it missing. @default 2000 */
  replyTimeoutMs: number;
  /** Lifetime of the token in the mid-stream expiry scenario, in seconds. @default 3 */
  expiryTtlSeconds: number;
  /**
   * How long past the token's expiry the server may take to end the stream
   * (its clock tolerance plus slack), in milliseconds. @default 10000
   */
  expiryGraceMs: number;
  /** Streams opened and abandoned in the abandoned-streams scenario. @default 200 */
  abandonedStreams: number;
}

/** Default {@linkcode ScenarioTimings}. */
export const DEFAULT_TIMINGS: ScenarioTimings = Object.freeze({
  shortDeadlineMs: 300,
  replyTimeoutMs: 2000,
  expiryTtlSeconds: 3,
  expiryGraceMs: 10_000,
  abandonedStreams: 200,
});

/** Claims for {@linkcode ScenarioContext.mintToken}; absent fields take the run's values. */
export interface MintClaims {
  /** `iss`. */
  issuer?: string;
  /** `aud`. */
  audience?: string;
  /** `sub`. */
  subject?: string;
  /** `iat`, seconds since the epoch. */
  issuedAt?: number;
  /** Lifetime from `iat`, in seconds (may be negative for an expired token). */
  ttlSeconds?: number;
  /** `nbf`, seconds since the epoch. */
  notBefore?: number;
  /** Sign with this secret instead of the run's. */
  secret?: Uint8Array;
}

/** Everything a scenario may use. Connections made through it are closed after the run. */
export interface ScenarioContext {
  /** `host:port` under test. */
  readonly target: string;
  /** TLS material of the run, or `null` for plaintext. */
  readonly tls: ChannelTlsMaterial | null;
  /** Default call deadline, in milliseconds. */
  readonly deadlineMs: number;
  /** Connection carrying the run's valid token (the client library's provider); `null` if none. */
  readonly client: GreeterConnection | null;
  /** Why {@linkcode client} is `null`, when it is. */
  readonly noTokenReason?: string;
  /** Whether an `authorization` header may go on the wire (TLS, or plaintext with the opt-in). */
  readonly mayAttachToken: boolean;
  /** Connection that attaches no token; scenarios pass `authorization` metadata themselves. */
  readonly bare: GreeterConnection;
  /** JWT secret, when known. */
  readonly secret?: Uint8Array;
  /** OpenID provider material, when the server under test verifies provider tokens. */
  readonly identity?: IdentityMaterial;
  /** `iss` the server expects. */
  readonly issuer: string;
  /** `aud` the server expects. */
  readonly audience: string;
  /** `sub` of minted tokens. */
  readonly subject: string;
  /** Timing knobs. */
  readonly timings: ScenarioTimings;
  /** Mints a token with the run's secret and the given claims; throws without a secret. */
  mintToken(claims?: MintClaims): Promise<string>;
  /** Opens another connection (same target and TLS unless overridden), closed after the run. */
  connect(overrides?: Partial<GreeterClientOptions>): GreeterConnection;
  /** Clock, milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}
