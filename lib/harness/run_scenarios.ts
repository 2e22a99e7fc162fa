/**
 * Runs conformance scenarios against a Greeter server and reports.
 *
 * `runScenarios` is the engine (selection, skips, timing, verdicts);
 * `createScenarioContext` wires the connections scenarios use; and
 * `runScenariosCommand` is what `client.ts scenarios` calls: config ->
 * token provider + channel -> context -> run -> report -> exit code.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { signToken } from "../auth/jwt.ts";
import { ConfigError } from "../cli/config_error.ts";
import type { ClientConfig } from "../client/config.ts";
import type { ChannelTlsMaterial } from "../client/credentials.ts";
import { channelTlsFromConfig, tokenProviderFromConfig } from "../client/from_config.ts";
import {
  createGreeterClient,
  type GreeterClientOptions,
  type GreeterConnection,
} from "../client/greeter_client.ts";
import type { TokenProvider } from "../client/token_provider.ts";
import { type IdentityMaterial, loadIdentityMaterial } from "./identity_material.ts";
import { clientCredentialsTokenSource } from "../client/oauth_token_provider.ts";
import { formatJsonReport } from "./report/json_report.ts";
import { formatJunitReport } from "./report/junit_report.ts";
import { exitCodeOf, type RunReport, type ScenarioResult } from "./report/run_report.ts";
import { formatScenarioList } from "./report/scenario_list.ts";
import { formatTextReport } from "./report/text_report.ts";
import { allScenarios } from "./scenarios/all_scenarios.ts";
import {
  DEFAULT_TIMINGS,
  type MintClaims,
  type Scenario,
  type ScenarioContext,
  type ScenarioNeed,
  type ScenarioTimings,
} from "./scenarios/scenario.ts";
import { DEFAULT_CALL_DEADLINE_MS } from "../shared/defaults.ts";

/** Options for {@linkcode createScenarioContext}. */
export interface ScenarioContextOptions {
  /** `host:port` under test. */
  target: string;
  /** TLS material, or `null` for plaintext. */
  tls: ChannelTlsMaterial | null;
  /** Provider of the run's valid token; `null` when there is none. */
  tokenProvider: TokenProvider | null;
  /** Why there is no provider, for skip reasons. @default "no token configured" */
  noTokenReason?: string;
  /** Allow `authorization` headers over plaintext. @default false */
  allowTokenOverPlaintext?: boolean;
  /** JWT secret, for scenarios that mint tokens with chosen claims. */
  secret?: Uint8Array;
  /** OpenID provider material, for the identity scenarios (see `identity_material.ts`). */
  identity?: IdentityMaterial;
  /** `iss` the server expects. @default "greeter" */
  issuer?: string;
  /** `aud` the server expects. @default "helloworld.Greeter" */
  audience?: string;
  /** `sub` of minted tokens. @default "greeter-conformance" */
  subject?: string;
  /** Default call deadline, in milliseconds. @default DEFAULT_CALL_DEADLINE_MS (5000) */
  deadlineMs?: number;
  /** Timing knobs. @default DEFAULT_TIMINGS */
  timings?: Partial<ScenarioTimings>;
  /** Clock, milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** A {@linkcode ScenarioContext} that closes its connections when disposed. */
export type OwnedScenarioContext = ScenarioContext & AsyncDisposable;

/**
 * Builds the context scenarios run in: a connection with the run's token, a
 * bare one, and a factory for more; all closed on dispose.
 *
 * @example
 * ```ts
 * await using ctx = createScenarioContext({ target, tls: { ca }, tokenProvider, secret });
 * const report = await runScenarios(allScenarios(), ctx);
 * ```
 */
export function createScenarioContext(options: ScenarioContextOptions): OwnedScenarioContext {
  const now = options.now ?? Date.now;
  const deadlineMs = options.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  const issuer = options.issuer ?? "greeter";
  const audience = options.audience ?? "helloworld.Greeter";
  const subject = options.subject ?? "greeter-conformance";
  const allowPlaintextToken = options.allowTokenOverPlaintext ?? false;
  const mayAttachToken = options.tls !== null || allowPlaintextToken;
  const opened: GreeterConnection[] = [];
  const connect = (overrides: Partial<GreeterClientOptions> = {}) => {
    const connection = createGreeterClient({
      target: options.target,
      tls: options.tls,
      deadlineMs,
      now,
      allowTokenOverPlaintext: allowPlaintextToken,
      ...overrides,
    });
    opened.push(connection);
    return connection;
  };
  const tokenProvider = mayAttachToken ? options.tokenProvider : null;
  const noTokenReason = !mayAttachToken
    ? "plaintext target: tokens are not sent without --allow-token-over-plaintext"
    : options.tokenProvider === null
    ? (options.noTokenReason ?? "no token configured")
    : undefined;
  const secret = options.secret;
  return {
    target: options.target,
    tls: options.tls,
    deadlineMs,
    client: tokenProvider === null ? null : connect({ tokenProvider }),
    bare: connect(),
    ...(noTokenReason === undefined ? {} : { noTokenReason }),
    mayAttachToken,
    ...(secret === undefined ? {} : { secret }),
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    issuer,
    audience,
    subject,
    timings: { ...DEFAULT_TIMINGS, ...options.timings },
    connect,
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async mintToken(claims: MintClaims = {}) {
      const key = claims.secret ?? secret;
      if (key === undefined) throw new Error("no JWT secret to mint test tokens with");
      const iat = claims.issuedAt ?? Math.floor(now() / 1000);
      return await signToken({
        secret: key,
        issuer: claims.issuer ?? issuer,
        audience: claims.audience ?? audience,
        subject: claims.subject ?? subject,
        issuedAt: iat,
        ttlSeconds: claims.ttlSeconds ?? 300,
        ...(claims.notBefore === undefined ? {} : { notBefore: claims.notBefore }),
      });
    },
    [Symbol.asyncDispose]() {
      for (const connection of opened.splice(0)) connection.close();
      return Promise.resolve();
    },
  };
}

/** Options for {@linkcode runScenarios}. */
export interface RunScenariosOptions {
  /** Run only these names. @default [] (all) */
  only?: readonly string[];
  /** Skip these names (reported as SKIP). @default [] */
  skip?: readonly string[];
  /** Longest a scenario may run before it fails, in milliseconds. @default 30000 */
  scenarioTimeoutMs?: number;
  /** Called after each scenario, e.g. for progress output. */
  onResult?: (result: ScenarioResult) => void;
  /** Clock, milliseconds since the epoch. @default the context's clock */
  now?: () => number;
}

/** A `--only` / `--skip` name that matches no scenario. */
export class UnknownScenarioError extends Error {
  /**
   * Builds the error.
   * @param names the unknown names
   */
  constructor(names: readonly string[]) {
    super(`unknown scenario name(s): ${names.join(", ")} (run with --list to see them)`);
    this.name = "UnknownScenarioError";
  }
}

/** A report file (`--junit`) that could not be written after the run. */
export class ReportWriteError extends Error {
  /**
   * Builds the error.
   * @param flag the flag that named the file, e.g. `--junit`
   * @param path the file
   * @param cause what the write threw
   */
  constructor(flag: string, path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(`${flag}: cannot write ${path}: ${reason}`, { cause });
    this.name = "ReportWriteError";
  }
}

/**
 * Runs `scenarios` one after the other in `ctx` and collects a report. A
 * scenario that throws or overruns fails; one whose needs the run cannot meet
 * is skipped with the reason.
 *
 * @param scenarios the suite, usually {@linkcode allScenarios}
 * @param ctx the context from {@linkcode createScenarioContext}
 * @param options selection, timeout, progress callback
 * @throws {UnknownScenarioError} if `only` / `skip` name an unknown scenario
 *
 * @example
 * ```ts
 * await using ctx = createScenarioContext({ target: "localhost:50051", tls: { ca }, tokenProvider, secret });
 * const report = await runScenarios(allScenarios(), ctx, { skip: ["health-check-serving-without-token"] });
 * console.log(summaryLine(report));
 * ```
 */
export async function runScenarios(
  scenarios: readonly Scenario[],
  ctx: ScenarioContext,
  options: RunScenariosOptions = {},
): Promise<RunReport> {
  const now = options.now ?? (() => ctx.now());
  const names = new Set(scenarios.map((s) => s.name));
  const only = options.only ?? [];
  const skip = new Set(options.skip ?? []);
  const unknown = [...only, ...skip].filter((name) => !names.has(name));
  if (unknown.length > 0) throw new UnknownScenarioError(unknown);
  const selected = only.length === 0 ? scenarios : scenarios.filter((s) => only.includes(s.name));
  const timeoutMs = options.scenarioTimeoutMs ?? 30_000;

  const started = now();
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    const base = { name: scenario.name, group: scenario.group, expected: scenario.expected };
    const reason = skip.has(scenario.name) ? "skipped by --skip" : unmetNeed(scenario.needs, ctx);
    let result: ScenarioResult;
    if (reason !== undefined) {
      result = { ...base, got: "-", verdict: "SKIP", durationMs: 0, detail: reason };
    } else {
      const t0 = now();
      let outcome;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        outcome = await Promise.race([
          scenario.run(ctx),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`timed out after ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
      } catch (error) {
        outcome = {
          got: "error",
          pass: false,
          detail: error instanceof Error ? error.message : String(error),
        };
      } finally {
        clearTimeout(timer);
      }
      result = {
        ...base,
        got: outcome.got,
        verdict: outcome.pass ? "PASS" : "FAIL",
        durationMs: now() - t0,
        ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
      };
    }
    results.push(result);
    options.onResult?.(result);
  }
  return {
    target: ctx.target,
    startedAt: new Date(started).toISOString(),
    durationMs: now() - started,
    results,
    passed: results.filter((r) => r.verdict === "PASS").length,
    failed: results.filter((r) => r.verdict === "FAIL").length,
    skipped: results.filter((r) => r.verdict === "SKIP").length,
  };
}

/** Why the run cannot meet `needs`, or `undefined` when it can. */
function unmetNeed(
  needs: readonly ScenarioNeed[] | undefined,
  ctx: ScenarioContext,
): string | undefined {
  for (const need of needs ?? []) {
    switch (need) {
      case "tls":
        if (ctx.tls === null) {
          return "target is plaintext (--insecure); TLS checks need a TLS target";
        }
        break;
      case "send-token":
        if (!ctx.mayAttachToken) {
          return "plaintext target: no authorization header is sent without --allow-token-over-plaintext";
        }
        break;
      case "token":
        if (ctx.client === null) return `needs a valid token: ${ctx.noTokenReason}`;
        break;
      case "secret":
        if (ctx.secret === undefined) {
          return "needs the JWT secret to mint tokens with chosen claims (only a token was given)";
        }
        break;
      default: {
        const reason = unmetIdentityNeed(need, ctx.identity);
        if (reason !== undefined) return reason;
      }
    }
  }
  return undefined;
}

/**
 * The provider material of the run: its published keys, the private keys the
 * operator handed over, and client credentials tokens with chosen scopes.
 *
 * @throws {ConfigError} when the provider's keys cannot be fetched or the key file is wrong
 */
async function identityOf(config: ClientConfig): Promise<IdentityMaterial> {
  const wanted = config.identity!;
  const oauth = config.token.kind === "oauth" ? config.token.oauth : undefined;
  try {
    return await loadIdentityMaterial({
      ...(wanted.issuer === undefined ? {} : { issuer: wanted.issuer }),
      ...(wanted.jwksUrl === undefined ? {} : { jwksUrl: wanted.jwksUrl }),
      ...(wanted.providerKeys === undefined ? {} : { privateKeys: wanted.providerKeys }),
      ...(wanted.requiredScope === undefined ? {} : { requiredScope: wanted.requiredScope }),
      ...(oauth?.caCerts === undefined ? {} : { caCerts: oauth.caCerts }),
      ...(oauth === undefined ? {} : {
        requestToken: async (scope: string) => {
          const source = clientCredentialsTokenSource({ ...oauth, scope });
          try {
            return (await source()).token;
          } finally {
            source.close();
          }
        },
      }),
    });
  } catch (error) {
    throw new ConfigError(`identity scenarios: ${(error as Error).message}`);
  }
}

/** Why the run's provider material cannot meet an identity need, or `undefined`. */
function unmetIdentityNeed(
  need: ScenarioNeed,
  identity: IdentityMaterial | undefined,
): string | undefined {
  if (identity === undefined) {
    return "needs an OpenID provider (GREETER_OIDC_ISSUER or GREETER_JWT_JWKS_URL)";
  }
  switch (need) {
    case "provider-keys":
      return identity.publicKeys.length === 0 ? "the provider publishes no keys" : undefined;
    case "client-credentials":
      return identity.requestToken === undefined
        ? "needs client credentials (GREETER_OAUTH_CLIENT_ID and its secret)"
        : undefined;
    case "required-scope":
      return identity.requiredScope === undefined
        ? "needs the scope the server requires (GREETER_HARNESS_REQUIRED_SCOPE)"
        : undefined;
    case "signing-key":
      return identity.signingKeys.length === 0
        ? "needs a private key the provider publishes (GREETER_HARNESS_PROVIDER_KEYS); " +
          "only client credentials were given"
        : undefined;
    case "two-signing-keys":
      return identity.signingKeys.length < 2
        ? "needs two published private keys (a rotation under way; GREETER_HARNESS_PROVIDER_KEYS)"
        : undefined;
    case "retired-key":
      return identity.retiredKeys.length === 0
        ? "needs a private key the provider no longer publishes (GREETER_HARNESS_PROVIDER_KEYS)"
        : undefined;
    default:
      return undefined;
  }
}

/** Where {@linkcode runScenariosCommand} writes. */
export interface CommandIo {
  /** Writes report text to stdout. */
  stdout: (text: string) => void;
  /** Writes progress and diagnostics to stderr. */
  stderr: (text: string) => void;
  /** Writes a file (JUnit report). */
  writeTextFile: (path: string, text: string) => Promise<void>;
  /**
   * Whether this process may write `path`, asked before the run so a report
   * file that cannot be written fails in a second, not after every scenario.
   * @default (path) => Deno.permissions.query({ name: "write", path })
   */
  queryWrite?: (path: string) => Promise<Deno.PermissionStatus>;
}

/**
 * Refuses, before anything runs, a report file this process has no
 * permission to write. `deno task client` runs with the `client` permission
 * set, which may write only inside the project.
 *
 * @throws {ConfigError} naming the flag and how to allow the write
 */
async function checkWritable(flag: string, path: string, io: CommandIo): Promise<void> {
  const query = io.queryWrite ?? ((path) => Deno.permissions.query({ name: "write", path }));
  const { state } = await query(path);
  if (state === "granted") return;
  throw new ConfigError(
    `${flag} ${path}: not allowed to write there; add --allow-write=${dirname(resolve(path))} ` +
      "to the deno run command (deno task passes flags to the script, not to deno), " +
      "or write the report inside the project",
  );
}

/**
 * `--list`: prints every scenario's name, group and expected result, one a
 * line, and dials nothing.
 *
 * @param io output sinks
 * @returns the exit code, 0
 */
export function listScenariosCommand(io: Pick<CommandIo, "stdout">): number {
  io.stdout(formatScenarioList(allScenarios()));
  return 0;
}

/**
 * `client.ts scenarios`: builds the context from `config`, runs the suite,
 * prints the table (or JSON), writes JUnit when asked.
 *
 * @param config the loaded client config
 * @param io output sinks
 * @returns the process exit code: 0 when nothing failed
 * @throws {ConfigError} before the run, when `--junit` names a file this process may not write
 * @throws {UnknownScenarioError} when `--only` / `--skip` name an unknown scenario
 * @throws {ReportWriteError} after the run (report printed), when the JUnit file cannot be written
 */
export async function runScenariosCommand(config: ClientConfig, io: CommandIo): Promise<number> {
  if (config.junitFile !== undefined) await checkWritable("--junit", config.junitFile, io);
  const choice = tokenProviderFromConfig(config);
  const identity = config.identity === undefined ? undefined : await identityOf(config);
  await using ctx = createScenarioContext({
    target: config.target,
    tls: channelTlsFromConfig(config),
    tokenProvider: choice.provider,
    ...(choice.reason === undefined ? {} : { noTokenReason: choice.reason }),
    allowTokenOverPlaintext: config.allowTokenOverPlaintext,
    ...(config.secret === undefined ? {} : { secret: config.secret }),
    ...(identity === undefined ? {} : { identity }),
    issuer: config.issuer,
    audience: config.audience,
    deadlineMs: config.deadlineMs,
  });
  const report = await runScenarios(allScenarios(), ctx, {
    only: config.only,
    skip: config.skip,
    onResult: config.verbose
      ? (r) => io.stderr(`${r.verdict} ${r.name} (${Math.round(r.durationMs)} ms)\n`)
      : undefined,
  });
  io.stdout(
    config.json ? formatJsonReport(report) : formatTextReport(report, { verbose: config.verbose }),
  );
  if (config.junitFile !== undefined) {
    try {
      await io.writeTextFile(config.junitFile, formatJunitReport(report));
    } catch (error) {
      // The report is already on stdout; only the file is missing.
      throw new ReportWriteError("--junit", config.junitFile, error);
    }
  }
  return exitCodeOf(report);
}
