/**
 * Connection-level floods, direct to the server and through the `deploy/`
 * proxies, side by side: starts `main.ts` (production mode, throwaway
 * certificates and secret, as `deno task server` runs it) and in front of it
 * the Debian nginx with `deploy/nginx/greeter.conf` and, when installed, the
 * Debian HAProxy with `deploy/haproxy/greeter.cfg`, then, in
 * interleaved rounds, for each attack and each path, runs the attack from
 * `127.0.0.2` for `--duration` while a control client on `127.0.0.1` calls
 * `SayHello` every 50 ms (5 s timeout). Attacks:
 *
 * - `none`: the control client alone (the baseline);
 * - `window-update`: one connection sending only WINDOW_UPDATE frames;
 * - `reconnect`: `--parallel` rapid-reset loops, each reconnecting as soon as
 *   its connection is cut.
 *
 *   deno run -A scripts/connection_flood.ts [--duration 10s] [--rounds 2] [--parallel 4]
 *
 * Prints one row per attack and path: the control's OK/failed calls and
 * p50/p99 (over all rounds), and what happened to the attacker. See
 * BENCHMARKS.md ("Connection floods").
 *
 * @module
 */
import { ConfigError, runEntry } from "../lib/cli/config_error.ts";
import { readSettings, type SettingsTable, usageLines } from "../lib/cli/settings.ts";
import { generateDevPki } from "../lib/shared/dev_certs.ts";
import { signToken } from "../lib/auth/jwt.ts";
import {
  controlCalls,
  type FloodTarget,
  rapidResetLoop,
  windowUpdateFlood,
} from "../lib/bench/connection_floods.ts";
import {
  findHaproxy,
  findNginx,
  type RunningProxy,
  startHaproxy,
  startNginx,
} from "../lib/bench/deploy_proxies.ts";
import { checkoutRootSetting } from "../lib/cli/script_settings.ts";

/** The script's settings (flags only). */
export const CONNECTION_FLOOD_SETTINGS = {
  duration: {
    flag: "duration",
    kind: "duration",
    default: 10_000,
    help: "how long each attack runs per round and path (e.g. 10s)",
  },
  rounds: { flag: "rounds", kind: "int", min: 1, max: 20, default: 2, help: "interleaved rounds" },
  parallel: {
    flag: "parallel",
    kind: "int",
    min: 1,
    max: 100,
    default: 4,
    help: "rapid-reset reconnect loops at once",
  },
  windowUpdateRate: {
    flag: "window-update-mbps",
    kind: "number",
    above: 0,
    help: "send the WINDOW_UPDATE flood at this many MB/s (default: as fast as the peer reads)",
  },
  readLimit: {
    flag: "read-limit",
    kind: "int",
    min: 0,
    max: 100_000,
    default: 0,
    help: "the server's GREETER_READ_LIMIT_MBPS (0: off, as shipped)",
  },
  attacks: {
    flag: "attacks",
    kind: "list",
    help: "attacks to run, comma-separated: none, window-update, reconnect (default: all)",
  },
  root: checkoutRootSetting(
    "checkout whose main.ts is measured (the proxies run this checkout's deploy/ files)",
  ),
  help: { flag: "help", kind: "switch", help: "print this help" },
} as const satisfies SettingsTable;

const SECRET = "flood-secret-".padEnd(40, "x");
const ATTACKS = ["none", "window-update", "reconnect"] as const;

/** Starts `main.ts` of `root`; resolves with its port and a stop function. */
async function startServer(root: string, dir: string, readLimitMbps: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${root}/main.ts`, "--port", "0", "--admin", "off"],
    cwd: dir,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      GREETER_ENV: "production",
      GREETER_JWT_SECRET: SECRET,
      GREETER_TLS_CERT: `${dir}/server.pem`,
      GREETER_TLS_KEY: `${dir}/server.key.pem`,
      GREETER_DRAIN_TIMEOUT_MS: "2000",
      GREETER_READ_LIMIT_MBPS: String(readLimitMbps),
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let head = "";
  // The supervisor's lines about workers (recycled for memory, died), in order.
  const events: string[] = [];
  let announce!: (port: number) => void;
  const listening = new Promise<number>((resolve) => (announce = resolve));
  const reading = (async () => {
    let partial = "";
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
      if (head.length < 100_000) head += text;
      const match = /listening on [^ ]*:(\d+)/.exec(head);
      if (match) announce(Number(match[1]));
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      events.push(
        ...lines.filter((line) => / recycled|died|giving up|exited|closed: it sent/.test(line)),
      );
    }
    announce(-1);
  })();
  const timer = setTimeout(() => announce(-1), 30_000);
  const port = await listening;
  clearTimeout(timer);
  let exited = false;
  child.status.then(() => (exited = true));
  const stop = async () => {
    try {
      if (!exited) child.kill("SIGTERM");
    } catch { /* it exited meanwhile */ }
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await child.status;
    clearTimeout(killer);
    await reading;
  };
  if (port < 0) {
    await stop();
    throw new Error(`the server did not start:\n${head}`);
  }
  return { port, stop, events, exited: () => exited };
}

/** One attack for `durationMs` against `target`; a line saying what happened to it. */
async function attack(
  kind: typeof ATTACKS[number],
  target: FloodTarget,
  durationMs: number,
  parallel: number,
  windowUpdateMbps: number | undefined,
): Promise<string> {
  if (kind === "none") return "-";
  if (kind === "window-update") {
    const result = await windowUpdateFlood(
      target,
      durationMs,
      windowUpdateMbps === undefined ? undefined : windowUpdateMbps * 1e6,
    );
    return result.cutAfterMs === undefined
      ? `never cut (${(result.frames / 1e6).toFixed(1)} M frames)`
      : `cut after ${(result.cutAfterMs / 1000).toFixed(2)} s` +
        (result.goawayCode === undefined ? "" : ` (GOAWAY ${result.goawayCode})`) +
        `, ${(result.frames / 1e6).toFixed(1)} M frames`;
  }
  const result = await rapidResetLoop(target, durationMs, parallel);
  return `${result.connections} connections (${result.cutByPeer} cut), ${result.resets} resets`;
}

/** Runs the measurement and prints the table. */
export async function connectionFlood(
  options: {
    duration: number;
    rounds: number;
    parallel: number;
    root: string;
    attacks: readonly string[];
    windowUpdateRate?: number;
    readLimit: number;
  },
): Promise<void> {
  const unknown = options.attacks.filter((name) => !(ATTACKS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`--attacks: unknown attack ${unknown[0]} (one of ${ATTACKS.join(", ")})`);
  }
  const attacks = options.attacks.length === 0
    ? ATTACKS
    : ATTACKS.filter((name) => options.attacks.includes(name));
  const nginx = findNginx();
  if (nginx === undefined) {
    throw new Error("needs nginx (apt-get install nginx, or set GREETER_NGINX)");
  }
  // HAProxy is measured when installed (apt-get install haproxy).
  const haproxy = findHaproxy();
  const dir = await Deno.makeTempDir({ prefix: "greeter-connection-flood-" });
  const pki = await generateDevPki({ caCommonName: "Flood Test CA" });
  await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
  await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
  await Deno.writeTextFile(`${dir}/ca.pem`, pki.caCert);
  const server = await startServer(options.root, dir, options.readLimit);
  const backend = `127.0.0.1:${server.port}`;
  const proxies = new Map<string, RunningProxy>();
  proxies.set("nginx", await startNginx(nginx, { dir, backends: [backend, backend] }));
  if (haproxy !== undefined) {
    proxies.set("haproxy", await startHaproxy(haproxy, { dir, backends: [backend, backend] }));
  }
  const paths = ["direct", ...proxies.keys()];
  const token = await signToken({
    secret: new TextEncoder().encode(SECRET),
    issuer: "greeter",
    audience: "helloworld.Greeter",
    subject: "flood-control",
  });
  const rows = new Map<
    string,
    { ok: number; failed: number; latencies: number[]; notes: string[] }
  >();
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of attacks) {
        // Each round starts with another path.
        for (let i = 0; i < paths.length; i++) {
          const path = paths[(i + round) % paths.length];
          const port = path === "direct" ? server.port : proxies.get(path)!.port;
          const control: FloodTarget = { host: "127.0.0.1", port, ca: pki.caCert };
          const attacker: FloodTarget = { ...control, localAddress: "127.0.0.2" };
          const eventsBefore = server.events.length;
          const [seen, note] = await Promise.all([
            controlCalls(control, token, options.duration, 50, 5_000),
            attack(kind, attacker, options.duration, options.parallel, options.windowUpdateRate),
          ]);
          if (server.exited()) throw new Error(`the server exited:\n${server.events.join("\n")}`);
          const key = `${kind} ${path}`;
          const row = rows.get(key) ?? { ok: 0, failed: 0, latencies: [], notes: [] };
          row.ok += seen.ok;
          row.failed += seen.failed;
          row.latencies.push(...seen.latenciesMs);
          const recycled = server.events.length - eventsBefore;
          row.notes.push(recycled === 0 ? note : `${note}; ${recycled} worker events`);
          rows.set(key, row);
          console.error(`round ${round + 1} ${key}: ${seen.ok} OK, ${seen.failed} failed; ${note}`);
          // Let the server and the proxy settle before the next attack.
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      }
    }
  } finally {
    for (const proxy of proxies.values()) await proxy.stop();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  if (server.events.length > 0) console.log(`server's worker events:\n${server.events.join("\n")}`);
  const quantile = (sorted: number[], q: number) =>
    sorted.length === 0 ? "-" : sorted[Math.floor(q * (sorted.length - 1))].toFixed(1);
  console.log(
    `${options.rounds} rounds x ${options.duration / 1000} s per attack and path; ` +
      `control: SayHello every 50 ms from 127.0.0.1; attacker from 127.0.0.2`,
  );
  console.log("| attack | path | control OK | failed | p50 ms | p99 ms | attacker (per round) |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: | --- |");
  for (const [key, row] of rows) {
    const [kind, path] = key.split(" ");
    const sorted = row.latencies.sort((a, b) => a - b);
    console.log(
      `| ${kind} | ${path} | ${row.ok} | ${row.failed} | ${quantile(sorted, 0.5)} | ` +
        `${quantile(sorted, 0.99)} | ${row.notes.join("; ")} |`,
    );
  }
}

if (import.meta.main) {
  Deno.exitCode = await runEntry(async () => {
    const { values: { help, ...options } } = readSettings(CONNECTION_FLOOD_SETTINGS, Deno.args, {});
    if (help) {
      console.log(
        [
          "Usage: deno run -A scripts/connection_flood.ts [flags]",
          "",
          ...usageLines(CONNECTION_FLOOD_SETTINGS),
        ].join("\n"),
      );
      return;
    }
    await connectionFlood(options);
  });
}
