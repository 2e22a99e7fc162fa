/**
 * `deno task demo`: the whole product in one command. Starts the secure
 * server in development mode on a free loopback port (generating dev
 * certificates and secret on first use), runs every conformance scenario
 * against it, prints the report and shuts the server down. The exit code is
 * the harness's.
 *
 * The demo is self-contained: `GREETER_*` settings are ignored on both sides,
 * so the client always uses the demo server's own CA and secret.
 *
 * @module
 */
import { loadClientConfig } from "../client/config.ts";
import { ConfigError } from "../cli/config_error.ts";
import { loadServerConfig } from "../server/config.ts";
import { checkDenoVersion } from "../shared/deno_version.ts";
import { greeterLogger, setupLogging } from "../shared/log.ts";
import { serveFromConfig } from "../server/serve_from_config.ts";
import { type CommandIo, listScenariosCommand, runScenariosCommand } from "./run_scenarios.ts";

/**
 * Runs the demo. `args` are client flags (for example `--json`, `--only`);
 * the target, CA and secret are the demo server's own.
 *
 * @returns the process exit code: 0 only when every scenario passed
 * @throws {ConfigError} on a Deno release known to crash, or a bad flag
 */
export async function runDemo(args: readonly string[], io: CommandIo): Promise<number> {
  // Only --list needs no server. Other flags are checked once the server (and,
  // on a fresh clone, the development CA the client reads) exists.
  if (args.includes("--list")) return listScenariosCommand(io);
  const deno = checkDenoVersion(Deno.version.deno);
  if (deno.verdict === "refuse") throw new ConfigError(deno.message);
  // Server log lines at error level only: the scenarios provoke many expected
  // warnings (rejected tokens, invalid names) that would bury the report.
  await using _logging = await setupLogging({ level: "error" });
  const { server, material } = await serveFromConfig(
    loadServerConfig(["--host", "127.0.0.1", "--port", "0", "--admin-port", "0"], {}),
    greeterLogger("server"),
  );
  try {
    for (const note of material.notes) io.stderr(`demo: ${note}\n`);
    io.stderr(`demo: Greeter serving TLS + JWT on ${server.address}; running every scenario\n`);
    const config = loadClientConfig(["scenarios", "--target", server.address, ...args], {});
    return await runScenariosCommand(config, io);
  } finally {
    const summary = await server.shutdown();
    io.stderr(
      `demo: server stopped (${summary.graceful ? "graceful" : "forced"}, ` +
        `${summary.totalCalls} calls served)\n`,
    );
  }
}
