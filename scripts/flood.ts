/**
 * Log volume under attack: starts the server (`main.ts` of `--root`, in
 * production mode with throwaway certificates and secret, text logs at info),
 * then floods it for `--duration` over `--connections` TLS connections with
 * HTTP/2 rapid reset (streams opened and reset at once) and calls with a bad
 * token, while one well-behaved client calls `SayHello` once per 100 ms. It
 * counts every byte the server writes to stderr.
 *
 *   deno run -A scripts/flood.ts [--duration 20s] [--connections 8] [--root DIR]
 *
 * `--root` runs another checkout's server (a `git worktree` of an older
 * commit, for a before/after figure). Everything runs on loopback and ends
 * after the duration plus the server's drain; see BENCHMARKS.md.
 *
 * @module
 */
import http2 from "node:http2";
import { runEntry } from "../lib/cli/config_error.ts";
import { readSettings, type SettingsTable, usageLines } from "../lib/cli/settings.ts";
import { generateDevPki } from "../lib/shared/dev_certs.ts";
import { signToken } from "../lib/auth/jwt.ts";
import { loadGreeterProto } from "../lib/shared/proto.ts";
import { grpcMessage } from "../lib/bench/raw_http2.ts";
import { checkoutRootSetting } from "../lib/cli/script_settings.ts";

/** The script's settings (flags only). */
export const FLOOD_SETTINGS = {
  duration: {
    flag: "duration",
    kind: "duration",
    default: 20_000,
    help: "how long the flood lasts (e.g. 20s)",
  },
  connections: {
    flag: "connections",
    kind: "int",
    min: 1,
    max: 1000,
    default: 8,
    help: "attacking connections (each reconnects when the server cuts it)",
  },
  root: checkoutRootSetting("checkout whose main.ts is flooded"),
  help: { flag: "help", kind: "switch", help: "print this help" },
} as const satisfies SettingsTable;

const SECRET = "flood-secret-".padEnd(40, "x");

/** Runs the flood and prints the figures. */
export async function flood(
  options: { duration: number; connections: number; root: string },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "greeter-flood-" });
  const pki = await generateDevPki({ caCommonName: "Flood Test CA" });
  await Deno.writeTextFile(`${dir}/cert.pem`, pki.serverCert);
  await Deno.writeTextFile(`${dir}/key.pem`, pki.serverKey);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${options.root}/main.ts`, "--port", "0", "--admin", "off"],
    cwd: dir,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      GREETER_ENV: "production",
      GREETER_JWT_SECRET: SECRET,
      GREETER_TLS_CERT: `${dir}/cert.pem`,
      GREETER_TLS_KEY: `${dir}/key.pem`,
      GREETER_DRAIN_TIMEOUT_MS: "2000",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let bytes = 0;
  let text = "";
  const decoder = new TextDecoder();
  let announce!: (port: number) => void;
  const listening = new Promise<number>((resolve) => (announce = resolve));
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      bytes += chunk.byteLength;
      // Keep the head (start-up line) and line counts, not the whole flood in memory.
      const part = decoder.decode(chunk, { stream: true });
      if (text.length < 1_000_000) text += part;
      const match = /Greeter listening on [^ ]*:(\d+)/.exec(text);
      if (match) announce(Number(match[1]));
    }
  })();
  const timeout = setTimeout(() => announce(-1), 30_000);
  const port = await listening;
  clearTimeout(timeout);
  if (port < 0) throw new Error(`the server did not start:\n${text}`);
  const startBytes = bytes;

  const token = await signToken({
    secret: new TextEncoder().encode(SECRET),
    issuer: "greeter",
    audience: "helloworld.Greeter",
    subject: "flood-control",
  });
  const hello = grpcMessage(
    loadGreeterProto().helloworld.Greeter.service.SayHello.requestSerialize({ name: "x" }),
  );
  const headers = (authorization: string) => ({
    ":method": "POST",
    ":path": "/helloworld.Greeter/SayHello",
    "content-type": "application/grpc",
    te: "trailers",
    authorization,
  });
  const ends = Date.now() + options.duration;
  const counts = { resets: 0, badCalls: 0, connections: 0, controlOk: 0, controlFailed: 0 };
  const latencies: number[] = [];

  const attacker = async () => {
    while (Date.now() < ends) {
      counts.connections++;
      const session = http2.connect(`https://localhost:${port}`, { ca: pki.caCert });
      session.on("error", () => {});
      const closed = new Promise<void>((resolve) => session.on("close", resolve));
      await new Promise<void>((resolve) => {
        session.once("connect", () => resolve());
        session.once("close", () => resolve());
      });
      // Rapid reset and bad tokens, in bursts, until the server cuts the connection.
      while (Date.now() < ends && !session.closed && !session.destroyed) {
        try {
          for (let i = 0; i < 50; i++) {
            const reset = session.request(headers(`Bearer ${token}`));
            reset.on("error", () => {});
            reset.close(http2.constants.NGHTTP2_CANCEL);
            counts.resets++;
            const bad = session.request(headers("Bearer not-a-token"));
            bad.on("error", () => {});
            bad.on("data", () => {});
            bad.end(hello);
            counts.badCalls++;
          }
        } catch {
          break; // the session went away under us
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      session.destroy();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
    }
  };

  const control = async () => {
    const session = http2.connect(`https://localhost:${port}`, { ca: pki.caCert });
    session.on("error", () => {});
    while (Date.now() < ends) {
      const started = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const call = session.request(headers(`Bearer ${token}`));
        let status = "";
        const timer = setTimeout(() => call.close(http2.constants.NGHTTP2_CANCEL), 5000);
        call.on("trailers", (t) => (status = String(t["grpc-status"])));
        call.on("data", () => {});
        call.on("error", () => {});
        call.on("close", () => {
          clearTimeout(timer);
          resolve(status === "0");
        });
        call.end(hello);
      }).catch(() => false);
      if (ok) {
        counts.controlOk++;
        latencies.push(performance.now() - started);
      } else counts.controlFailed++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    session.close();
  };

  const started = performance.now();
  await Promise.all([...Array.from({ length: options.connections }, attacker), control()]);
  const floodMs = performance.now() - started;
  const floodBytes = bytes - startBytes;
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await child.status;
  clearTimeout(killer);
  await reading;
  await Deno.remove(dir, { recursive: true });

  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]?.toFixed(1) ?? "-";
  const lines = text.split("\n");
  const count = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;
  console.log(`server: ${options.root}`);
  console.log(
    `flood: ${(floodMs / 1000).toFixed(1)} s, ${options.connections} attacking connections ` +
      `(${counts.connections} opened), ${counts.resets} streams reset, ${counts.badCalls} bad-token calls`,
  );
  console.log(
    `log written during the flood: ${(floodBytes / 1e6).toFixed(2)} MB ` +
      `(${(bytes / 1e6).toFixed(2)} MB in all)` +
      (text.length >= 1_000_000 ? " (line counts below are from the first 1 MB)" : ""),
  );
  console.log(
    `lines: CANCELLED ${count(/ CANCELLED /)}, UNAUTHENTICATED ${count(/ UNAUTHENTICATED /)}, ` +
      `summaries ${count(/more .* call lines like this suppressed/)}`,
  );
  console.log(
    `control SayHello every 100 ms: ${counts.controlOk} OK, ${counts.controlFailed} failed, ` +
      `p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`,
  );
}

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { values: { help, ...options } } = readSettings(FLOOD_SETTINGS, Deno.args, {});
    if (help) {
      console.log(
        ["Usage: deno run -A scripts/flood.ts [flags]", "", ...usageLines(FLOOD_SETTINGS)].join(
          "\n",
        ),
      );
      return;
    }
    await flood(options);
  });
}
