/**
 * `deno task client`: the Greeter client and conformance harness.
 *
 * Subcommands: `scenarios` (default; proves a server right or wrong; `--list`
 * names them), `basic` (one SayHello, printed), `token` (prints a minted
 * token) and `bench` (load test, in `lib/harness/run_bench.ts`). Run with
 * `--help` for flags.
 *
 * Exit codes: 0 success (all scenarios passed or skipped), 1 a call or
 * scenario failed, 2 a user mistake: a bad flag or setting, an unknown
 * scenario name, a report file that cannot be written (one line, no stack
 * trace).
 *
 * @module
 */
import { signToken } from "./lib/auth/jwt.ts";
import { ConfigError, EXIT_CONFIG } from "./lib/cli/config_error.ts";
import {
  CLIENT_USAGE,
  type ClientConfig,
  loadClientConfig,
  readClientEnv,
} from "./lib/client/config.ts";
import { clientOptionsFromConfig, tokenProviderFromConfig } from "./lib/client/from_config.ts";
import { clientCredentialsTokenSource } from "./lib/client/oauth_token_provider.ts";
import { createGreeterClient, statusName, statusOf } from "./lib/client/greeter_client.ts";
import { checkDenoVersion, PINNED_DENO } from "./lib/shared/deno_version.ts";
import {
  type CommandIo,
  listScenariosCommand,
  ReportWriteError,
  runScenariosCommand,
  UnknownScenarioError,
} from "./lib/harness/run_scenarios.ts";

/**
 * Output sinks and the write-permission query, so `main` can be driven by
 * tests: stdout, stderr, a report-file writer and (optionally) `queryWrite`.
 */
export type ClientIo = CommandIo;

/**
 * The user mistakes `main` reports as one line and exit code 2. Anything
 * else is a bug and keeps its stack trace.
 */
const USER_MISTAKES = [ConfigError, UnknownScenarioError, ReportWriteError];

/**
 * Parses, validates, wires and runs one subcommand. This is the client's one
 * error boundary: a user mistake from any subcommand becomes one line on
 * stderr and exit code 2; anything else is rethrown.
 *
 * @param args command-line arguments
 * @param env the `GREETER_*` environment
 * @param io output sinks
 * @returns the exit code
 */
export async function main(
  args: readonly string[],
  env: Record<string, string | undefined>,
  io: ClientIo,
): Promise<number> {
  try {
    return await run(args, env, io);
  } catch (error) {
    if (!USER_MISTAKES.some((kind) => error instanceof kind)) throw error;
    io.stderr(`client: ${(error as Error).message}\n`);
    return EXIT_CONFIG;
  }
}

/** Dispatches to the subcommand; user mistakes are thrown for {@linkcode main} to report. */
async function run(
  args: readonly string[],
  env: Record<string, string | undefined>,
  io: ClientIo,
): Promise<number> {
  if (args[0] === "demo") {
    const { runDemo } = await import("./lib/harness/run_demo.ts");
    return await runDemo(args.slice(1), io);
  }
  const config = loadClientConfig(args, env);
  if (config.help && config.command !== "bench") {
    io.stdout(CLIENT_USAGE);
    return 0;
  }
  if (config.command !== "token" && !(config.command === "scenarios" && config.list)) {
    // grpc-js clients abort on the same releases as the server (docs/RUNTIME.md, case b).
    if (checkDenoVersion(Deno.version.deno).verdict === "refuse") {
      io.stderr(
        `client: warning: Deno ${Deno.version.deno} may abort inside nghttp2 when a server ` +
          `closes an idle channel (denoland/deno#36788, docs/RUNTIME.md); use Deno ${PINNED_DENO}\n`,
      );
    }
  }
  switch (config.command) {
    case "scenarios":
      return config.list ? listScenariosCommand(io) : await runScenariosCommand(config, io);
    case "basic":
      return await basic(config, io);
    case "token":
      io.stdout(`${await mintToken(config)}\n`);
      return 0;
    case "bench":
      return await bench(config, io);
  }
}

/** `basic`: one SayHello with the configured token (none over plaintext without the opt-in). */
async function basic(config: ClientConfig, io: ClientIo): Promise<number> {
  const choice = tokenProviderFromConfig(config);
  if (choice.provider === null) io.stderr(`client: sending no token: ${choice.reason}\n`);
  using client = createGreeterClient(clientOptionsFromConfig(config, choice.provider));
  try {
    const reply = await client.sayHello({ name: config.name });
    io.stdout(`${reply.message}\n`);
    return 0;
  } catch (error) {
    const code = statusOf(error);
    if (code === undefined) throw error;
    io.stderr(
      `client: SayHello failed: ${statusName(code)}: ${
        (error as { details?: string }).details ?? ""
      }\n`,
    );
    return 1;
  }
}

/**
 * `token`: a token fetched with the configured client credentials, or minted
 * from the configured secret; nothing else on stdout.
 */
async function mintToken(config: ClientConfig): Promise<string> {
  if (config.token.kind === "oauth") {
    const source = clientCredentialsTokenSource(config.token.oauth);
    try {
      return (await source()).token;
    } finally {
      source.close();
    }
  }
  return await signToken({
    secret: config.secret!, // loadClientConfig refuses `token` without a secret
    issuer: config.issuer,
    audience: config.audience,
    subject: config.subject,
    ttlSeconds: config.ttlSeconds,
  });
}

/**
 * `bench`: the load test is `lib/harness/run_bench.ts` (another owner); it is
 * loaded only when asked for, so the other subcommands never depend on it.
 */
async function bench(config: ClientConfig, io: ClientIo): Promise<number> {
  const { runBench } = await import("./lib/bench/run_bench.ts");
  return await runBench(config, {
    stdout: io.stdout,
    stderr: io.stderr,
    writeTextFile: io.writeTextFile,
  });
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  Deno.exitCode = await main(Deno.args, readClientEnv(), {
    stdout: (text) => Deno.stdout.writeSync(encoder.encode(text)),
    stderr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    writeTextFile: (path, text) => Deno.writeTextFile(path, text),
  });
}
