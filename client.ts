/**
 * `deno task client`: the Greeter client and conformance harness.
 *
 * Subcommands: `scenarios` (default; proves a server right or wrong), `basic`
 * (one SayHello, printed), `token` (prints a minted token) and `bench`
 * (load test, in `lib/harness/run_bench.ts`). Run with `--help` for flags.
 *
 * Exit codes: 0 success (all scenarios passed or skipped), 1 a call or
 * scenario failed, 2 a configuration mistake (one line, no stack trace).
 *
 * @module
 */
import { signToken } from "./lib/auth/jwt.ts";
import {
  CLIENT_ENV_VARS,
  CLIENT_USAGE,
  type ClientConfig,
  ConfigError,
  loadClientConfig,
} from "./lib/client/config.ts";
import { clientOptionsFromConfig, tokenProviderFromConfig } from "./lib/client/from_config.ts";
import { createGreeterClient, statusName, statusOf } from "./lib/client/greeter_client.ts";
import { runScenariosCommand, UnknownScenarioError } from "./lib/harness/run_scenarios.ts";

/** Output sinks, so `main` can be driven by tests. */
export interface ClientIo {
  /** Standard output. */
  stdout: (text: string) => void;
  /** Standard error. */
  stderr: (text: string) => void;
  /** Writes a report file. */
  writeTextFile: (path: string, text: string) => Promise<void>;
}

/**
 * Parses, validates, wires and runs one subcommand.
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
  let config: ClientConfig;
  try {
    if (args[0] === "demo") {
      const { runDemo } = await import("./lib/harness/run_demo.ts");
      return await runDemo(args.slice(1), env, io);
    }
    config = loadClientConfig(args, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`client: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (config.help && config.command !== "bench") {
    io.stdout(CLIENT_USAGE);
    return 0;
  }
  try {
    switch (config.command) {
      case "scenarios":
        return await runScenariosCommand(config, io);
      case "basic":
        return await basic(config, io);
      case "token":
        io.stdout(`${await mintToken(config)}\n`);
        return 0;
      case "bench":
        return await bench(config, io);
    }
  } catch (error) {
    if (error instanceof UnknownScenarioError) {
      io.stderr(`client: ${error.message}\n`);
      return 2;
    }
    throw error;
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

/** `token`: a token minted from the configured secret, and nothing else on stdout. */
function mintToken(config: ClientConfig): Promise<string> {
  return signToken({
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
  const { runBench } = await import("./lib/harness/run_bench.ts");
  return await runBench(config, {
    stdout: io.stdout,
    stderr: io.stderr,
    writeTextFile: io.writeTextFile,
  });
}

if (import.meta.main) {
  // Only the variables the config reads, so `--allow-env=GREETER_*` is enough.
  const env = Object.fromEntries(CLIENT_ENV_VARS.map((name) => [name, Deno.env.get(name)]));
  const encoder = new TextEncoder();
  Deno.exitCode = await main(Deno.args, env, {
    stdout: (text) => Deno.stdout.writeSync(encoder.encode(text)),
    stderr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    writeTextFile: (path, text) => Deno.writeTextFile(path, text),
  });
}
