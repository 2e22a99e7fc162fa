/**
 * `deno task demo`: the whole product in one command. Starts the secure
 * server in development mode on a free loopback port (generating dev
 * certificates and secret on first use), runs every conformance scenario
 * against it, prints the report and shuts the server down. The exit code is
 * the harness's.
 *
 * @module
 */
import { loadClientConfig } from "../client/config.ts";
import { loadServerConfig } from "../config.ts";
import { setupLogging } from "../log.ts";
import { resolveServerMaterial } from "../material.ts";
import { startGreeterServer } from "../server.ts";
import { type CommandIo, runScenariosCommand } from "./run_scenarios.ts";

/**
 * Runs the demo. `args` are client flags (for example `--json`, `--only`);
 * the target, CA and secret are the demo server's own.
 *
 * @returns the process exit code: 0 only when every scenario passed
 */
export async function runDemo(
  args: readonly string[],
  env: Record<string, string | undefined>,
  io: CommandIo,
): Promise<number> {
  // Server log lines at error level only: the scenarios provoke many expected
  // warnings (rejected tokens, invalid names) that would bury the report.
  await using _logging = await setupLogging({ level: "error" });
  const material = await resolveServerMaterial(loadServerConfig(["--port", "0"], {}));
  const server = await startGreeterServer({
    host: "127.0.0.1",
    port: 0,
    tls: material.tls,
    auth: material.auth,
  });
  try {
    for (const note of material.notes) io.stderr(`demo: ${note}\n`);
    io.stderr(`demo: Greeter serving TLS + JWT on ${server.address}; running every scenario\n`);
    const config = loadClientConfig(["scenarios", "--target", server.address, ...args], env);
    return await runScenariosCommand(config, io);
  } finally {
    const summary = await server.shutdown();
    io.stderr(
      `demo: server stopped (${summary.graceful ? "graceful" : "forced"}, ` +
        `${summary.totalCalls} calls served)\n`,
    );
  }
}
