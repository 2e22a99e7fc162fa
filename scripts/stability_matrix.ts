/**
 * Stability matrix for a Deno release: does the project's server (and a
 * grpc-js client on that Deno) survive what a months-long deployment does to
 * it? One PASS/FAIL line per case, with its figures, then a summary.
 *
 * ```sh
 * deno task stability --deno /path/to/deno          # full: ~7-8 min
 * deno task stability --deno /path/to/deno --quick  # smoke: ~1-2 min
 * deno task stability --deno 2.9.6 --only b,c,h --connections 10000
 * ```
 *
 * `--deno` takes a binary or a version, looked up as
 * `~/.cache/greeter-ci/deno-<version>/node_modules/@deno/linux-x64-glibc/deno` (where `.ci/run`
 * installs it). The driver runs on any Deno; only the servers and the Deno clients run on the
 * Deno under test. The non-Deno peer is Node.js with the project's own `@grpc/grpc-js`
 * (`node_modules/`, so run `deno install` first). Logs of every process go to `--log-dir`.
 *
 * The long-idle cases (a, b, c, f-server) mostly wait, so they run side by side; the loaded
 * cases (d, e, f-client, g, h) run one after another while they wait. See docs/RUNTIME.md.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { readScriptSettings } from "../lib/cli/script_settings.ts";
import type { SettingsTable } from "../lib/cli/settings.ts";
import { Child, type Ended } from "./stability/process.ts";
import { FreezingProxy } from "./stability/proxy.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PEER = fileURLToPath(new URL("./stability/peer.mjs", import.meta.url));
const CASES = ["a", "b", "c", "d", "e", "f", "g", "h"] as const;
type CaseId = typeof CASES[number];

/** The matrix's settings (flags only). */
const STABILITY_SETTINGS = {
  deno: {
    flag: "deno",
    kind: "string",
    valueName: "BINARY|VERSION",
    defaultText: "the Deno running this script",
    help: "Deno under test: a binary, or a version installed by .ci/run",
  },
  quick: { flag: "quick", kind: "switch", help: "smoke-test the paths in ~1-2 min" },
  only: { flag: "only", kind: "list", help: `run only these cases (${CASES.join(", ")})` },
  connections: {
    flag: "connections",
    kind: "int",
    min: 1,
    defaultText: "50000, 2000 with --quick",
    help: "TLS connections of the churn case (h)",
  },
  "rss-limit-mb": {
    flag: "rss-limit-mb",
    kind: "int",
    min: 1,
    default: 3000,
    valueName: "MB",
    help: "stop the churn case when the server's RSS exceeds this",
  },
  "worker-max-rss": {
    flag: "worker-max-rss",
    kind: "int",
    min: 0,
    valueName: "MB",
    defaultText: "the server's default",
    help: "the churn case's server: replace a worker past this RSS (0: no supervisor)",
  },
  "log-dir": {
    flag: "log-dir",
    kind: "path",
    valueName: "DIR",
    defaultText: "a new temporary directory",
    help: "where every process's log goes",
  },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

const flags = readScriptSettings(
  STABILITY_SETTINGS,
  Deno.args,
  "deno task stability [--deno BINARY|VERSION] [flags]",
);

const DENO = resolveDeno(flags.deno);
const QUICK = flags.quick;
const ONLY = new Set((flags.only.length > 0 ? flags.only : CASES) as CaseId[]);
for (const id of ONLY) {
  if (!CASES.includes(id)) {
    console.error(`--only: unknown case ${id}; cases are ${CASES.join(", ")}`);
    Deno.exit(2);
  }
}
try {
  Deno.statSync(DENO);
} catch {
  console.error(`--deno: no Deno binary at ${DENO}`);
  Deno.exit(2);
}
const LOG_DIR = flags["log-dir"] ?? Deno.makeTempDirSync({ prefix: "stability-" });
Deno.mkdirSync(LOG_DIR, { recursive: true });

// Timings: the upstream reproduction needs minutes of idle; --quick only smoke-tests the paths.
// grpc-js closes an idle channel's connection when its subchannel pool next sweeps unused
// subchannels (every 10 s), so the client's idle timeout + 10 s must stay below the server's.
const T = QUICK
  ? { idle: 8_000, serverIdle: 15_000, clientIdle: 1_000, afterIdle: 18_000, connections: 2_000 }
  : {
    idle: 250_000, // (a): clients idle this long before closing
    serverIdle: 250_000, // (b, c): the peer server's grpc.max_connection_idle_ms / shutdown time
    clientIdle: 60_000, // (c): grpc.client_idle_timeout_ms, the client-side mitigation
    afterIdle: 270_000, // (b, c): the clients call again after this much idle
    connections: 50_000, // (h)
  };
const CONNECTIONS = flags.connections ?? T.connections;
const RSS_LIMIT = flags["rss-limit-mb"] * 1e6;
// (h): the server's GREETER_WORKER_MAX_RSS_MB; absent, its default (recycling on leaking releases).
const WORKER_MAX_RSS = flags["worker-max-rss"];

interface Result {
  id: string;
  title: string;
  pass: boolean | null; // null: skipped
  detail: string;
}
const results: Result[] = [];
let counter = 0;

function report(result: Result) {
  results.push(result);
  const word = result.pass === null ? "SKIP" : result.pass ? "PASS" : "FAIL";
  console.log(`${word}  (${result.id}) ${result.title}: ${result.detail}`);
}

function resolveDeno(spec: string | undefined): string {
  if (spec === undefined) return Deno.execPath();
  if (/^\d+\.\d+\.\d+$/.test(spec)) {
    return `${
      Deno.env.get("HOME")
    }/.cache/greeter-ci/deno-${spec}/node_modules/@deno/linux-x64-glibc/deno`;
  }
  return spec;
}

function spawn(name: string, command: string, args: string[]): Child {
  return new Child(`${String(++counter).padStart(2, "0")}-${name}`, command, args, {
    cwd: ROOT,
    logDir: LOG_DIR,
  });
}

/** A Node.js grpc-js peer. */
const nodePeer = (name: string, args: string[]) => spawn(name, "node", [PEER, ...args]);
/** A grpc-js peer on the Deno under test. */
const denoPeer = (name: string, args: string[]) =>
  spawn(name, DENO, ["run", "-A", "--quiet", PEER, ...args]);

/** The project's server (main.ts) on the Deno under test; resolves once it serves. */
async function projectServer(
  name: string,
  args: string[],
): Promise<{ child: Child; port: number }> {
  // A free port chosen here, so the server may log at warning (no "listening" line then).
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const child = spawn(name, DENO, [
    "run",
    "-A",
    "--quiet",
    `${ROOT}main.ts`,
    "--port",
    String(port),
    "--allow-unsupported-deno",
    "--admin-port", // the admin endpoint stays on, as deployed, on a port of its own per server
    "0",
    ...args,
  ]);
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
    if (conn !== null) {
      conn.close();
      return { child, port };
    }
    if (await Promise.race([child.ended.then(() => true), sleep(200).then(() => false)])) break;
  }
  child.kill("SIGKILL");
  throw new Error(`${child.name} did not start listening on ${port}`);
}

/** A minimal grpc-js server on Node.js (the non-Deno side of the client cases). */
async function nodeServer(name: string, args: string[]): Promise<{ child: Child; port: number }> {
  const child = nodePeer(name, ["server", ...args]);
  await child.waitFor(/"listening"/, 30_000);
  return { child, port: Number(child.event("listening")!.port) };
}

/** One SayHello from a fresh Node.js client: is the server still serving? */
async function alive(port: number): Promise<boolean> {
  const probe = nodePeer("probe", ["client", "--target", `127.0.0.1:${port}`, "--calls", "1"]);
  const ended = await probe.ended;
  const done = probe.event("done") as { codes?: Record<string, number> } | undefined;
  return ended.code === 0 && done?.codes?.OK === 1;
}

/** Stops a project server with SIGTERM and reports how it went. */
async function stop(server: Child): Promise<{ ended: Ended; graceful: boolean }> {
  server.kill("SIGTERM");
  const timer = setTimeout(() => server.kill("SIGKILL"), 30_000);
  const ended = await server.ended;
  clearTimeout(timer);
  return { ended, graceful: server.saw(/shutdown graceful/) };
}

const describe = (e: Ended) =>
  e.aborted
    ? `ABORT (${e.crashLine ?? e.signal})`
    : e.signal
    ? `killed ${e.signal}`
    : `exit ${e.code}`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const idleClientArgs = (port: number, calls: number) => [
  "client",
  "--target",
  `127.0.0.1:${port}`,
  "--calls",
  String(calls),
];

// ---------------------------------------------------------------------------
// (a) the Deno server receives clients' GOAWAY after a long idle
async function caseA(): Promise<void> {
  const title = `Deno server receives client GOAWAY after ${T.idle / 1000} s idle`;
  const { child: server, port } = await projectServer("a-server", ["--basic"]);
  const clients = [
    ...[13, 100, 225].map((n) =>
      nodePeer(`a-node-${n}`, [...idleClientArgs(port, n), "--idle-ms", String(T.idle)])
    ),
    denoPeer("a-deno-100", [...idleClientArgs(port, 100), "--idle-ms", String(T.idle)]),
  ];
  const ended = await Promise.all(clients.map((c) => c.ended));
  await sleep(2_000);
  const live = await alive(port);
  const { ended: serverEnd, graceful } = await stop(server);
  const clientsOk =
    ended.filter((e, i) =>
      e.code === 0 && (clients[i].event("done")?.codes as Record<string, number>)?.OK ===
        Number(clients[i].name.split("-").pop())
    ).length;
  report({
    id: "a",
    title,
    pass: live && !serverEnd.aborted && serverEnd.code === 0 && clientsOk === clients.length,
    detail: `clients (node 13/100/225, deno 100 calls) ${clientsOk}/${clients.length} ok; ` +
      `server after: ${live ? "serving" : "NOT serving"}, ${describe(serverEnd)}` +
      `${graceful ? ", graceful" : ""}`,
  });
}

// (b)/(c) a grpc-js client on the Deno under test receives the server's GOAWAY after a long idle
async function caseClientGoaway(id: "b" | "c"): Promise<void> {
  const mitigated = id === "c";
  const title =
    `Deno client ${mitigated ? `with grpc.client_idle_timeout_ms=${T.clientIdle} ` : ""}` +
    `receives server GOAWAY after ${T.serverIdle / 1000} s idle`;
  const serverOpts = [
    "--server-opt",
    "grpc.keepalive_time_ms=60000",
    "--server-opt",
    "grpc.keepalive_timeout_ms=20000",
  ];
  // Two ways a server sends GOAWAY to an idle client: its max_connection_idle, and its shutdown.
  const idleServer = await nodeServer(`${id}-server-maxidle`, [
    ...serverOpts,
    "--server-opt",
    `grpc.max_connection_idle_ms=${T.serverIdle}`,
  ]);
  const stopServer = await nodeServer(`${id}-server-shutdown`, serverOpts);
  const extra = mitigated ? ["--opt", `grpc.client_idle_timeout_ms=${T.clientIdle}`] : [];
  const clients: { child: Child; expect: string }[] = [];
  for (const n of [13, 100, 225]) {
    for (
      const [server, kind, expect] of [
        [idleServer, "maxidle", "OK"],
        [stopServer, "shutdown", "OK|UNAVAILABLE"],
      ] as const
    ) {
      clients.push({
        expect,
        child: denoPeer(`${id}-deno-${kind}-${n}`, [
          ...idleClientArgs(server.port, n),
          "--idle-ms",
          String(T.afterIdle),
          "--then",
          "call",
          ...extra,
        ]),
      });
    }
  }
  await Promise.all(clients.map((c) => c.child.waitFor(/"idle"/, 60_000).catch(() => {})));
  await sleep(T.serverIdle + 2_000);
  stopServer.child.kill("SIGTERM");
  const ended = await Promise.all(clients.map((c) => c.child.ended));
  idleServer.child.kill("SIGTERM");
  await Promise.all([idleServer.child.ended, stopServer.child.ended]);
  const aborted = ended.filter((e) => e.aborted).length;
  const asExpected =
    clients.filter((c, i) =>
      ended[i].code === 0 && c.expect.split("|").includes(String(c.child.event("done")?.last))
    ).length;
  report({
    id,
    title,
    pass: aborted === 0 && asExpected === clients.length,
    detail: `${aborted}/${clients.length} clients aborted; ${asExpected}/${clients.length} ` +
      `made 13/100/225 calls, idled ${T.afterIdle / 1000} s and got the expected last call ` +
      `(OK after max_connection_idle; after shutdown UNAVAILABLE, or OK before the listener closed)` +
      (aborted ? `; ${ended.find((e) => e.aborted)!.crashLine ?? "SIGABRT"}` : ""),
  });
}

// (d) closing-channel storm
async function caseD(): Promise<void> {
  const { child: server, port } = await projectServer("d-server", [
    "--basic",
    "--log-level",
    "warning",
  ]);
  const rounds = QUICK ? "2" : "4";
  const calls = QUICK ? "100" : "250";
  const args = ["storm", "--target", `127.0.0.1:${port}`, "--channels", "12", "--calls", calls];
  const peers = [
    nodePeer("d-node-1", [...args, "--rounds", rounds]),
    nodePeer("d-node-2", [...args, "--rounds", rounds]),
    denoPeer("d-deno-1", [...args, "--rounds", rounds]),
    denoPeer("d-deno-2", [...args, "--rounds", rounds]),
  ];
  const t0 = performance.now();
  const ended = await Promise.all(peers.map((p) => p.ended));
  const seconds = (performance.now() - t0) / 1000;
  let ok = 0, failed = 0, cancelled = 0;
  for (const p of peers) {
    const done = p.event("done") as
      | { codes: Record<string, number>; cancelledOnPurpose: number }
      | undefined;
    if (!done) continue;
    for (const [code, n] of Object.entries(done.codes)) code === "OK" ? (ok += n) : (failed += n);
    cancelled += done.cancelledOnPurpose;
  }
  const live = await alive(port);
  const { ended: serverEnd } = await stop(server);
  const peersOk = ended.filter((e) => e.code === 0).length;
  report({
    id: "d",
    title: "closing-channel storm (2 Node + 2 Deno clients x 12 channels closing concurrently)",
    pass: failed === 0 && peersOk === 4 && live && !serverEnd.aborted,
    detail: `${ok} calls OK, ${failed} failed, ${cancelled} cancelled on purpose, ` +
      `${(ok / seconds).toFixed(0)} calls/s; clients ${peersOk}/4 exit 0 ` +
      `(${ended.map(describe).join(", ")}); server ${live ? "serving" : "NOT serving"}, ` +
      describe(serverEnd),
  });
}

// (e) server shutdown with idle and busy clients
async function caseE(): Promise<void> {
  const { child: server, port } = await projectServer("e-server", [
    "--basic",
    "--stream-interval",
    "5",
  ]);
  const args = ["busy", "--target", `127.0.0.1:${port}`, "--channels", "4"];
  const peers = [
    nodePeer("e-node", [...args, "--duration-ms", "15000"]),
    denoPeer("e-deno", [...args, "--duration-ms", "15000"]),
  ];
  await Promise.all(peers.map((p) => p.waitFor(/"ready"/, 60_000)));
  await sleep(2_000);
  const { ended: serverEnd, graceful } = await stop(server);
  const ended = await Promise.all(peers.map((p) => p.ended));
  const cut = peers.reduce((s, p) => s + Number(p.event("done")?.streamsCut ?? NaN), 0);
  const streamsOk = peers.reduce((s, p) => s + Number(p.event("done")?.streamsOk ?? 0), 0);
  report({
    id: "e",
    title: "server shutdown (SIGTERM) with idle and busy Node + Deno clients",
    pass: serverEnd.code === 0 && graceful && ended.every((e) => e.code === 0) && cut === 0,
    detail: `server ${describe(serverEnd)}, ${graceful ? "graceful" : "NOT graceful"}; ` +
      `${streamsOk} streams OK, ${cut} cut mid-stream; clients ${ended.map(describe).join(", ")}`,
  });
}

// (f) keepalive and idle-timeout closes
async function caseFClient(): Promise<void> {
  const { child: server, port } = await projectServer("f-server", [
    "--basic",
    "--log-level",
    "warning",
  ]);
  // f1: the client's keepalive finds a frozen connection and closes it, then reconnects.
  await using proxy = new FreezingProxy(port);
  const keepalive = [
    "--opt",
    "grpc.keepalive_time_ms=11000",
    "--opt",
    "grpc.keepalive_timeout_ms=1000",
    "--opt",
    "grpc.keepalive_permit_without_calls=1",
  ];
  const f1 = [
    ...idleClientArgs(proxy.port, 5),
    ...keepalive,
    "--idle-ms",
    "20000",
    "--then",
    "call",
  ];
  const kaPeers = [nodePeer("f1-node", f1), denoPeer("f1-deno", f1)];
  await Promise.all(kaPeers.map((p) => p.waitFor(/"idle"/, 60_000)));
  proxy.freeze();
  await sleep(15_000);
  proxy.thaw();
  // f3: the client's own idle timeout closes its channel between bursts (it sends GOAWAY).
  const f3 = [
    ...idleClientArgs(port, 5),
    "--opt",
    "grpc.client_idle_timeout_ms=1000",
    "--idle-ms",
    "2500",
    "--repeat",
    "5",
    "--then",
    "call",
  ];
  const idlePeers = [nodePeer("f3-node", f3), denoPeer("f3-deno", f3)];
  const all = [...kaPeers, ...idlePeers];
  const ended = await Promise.all(all.map((p) => p.ended));
  const live = await alive(port);
  const { ended: serverEnd } = await stop(server);
  const ok = all.filter((p, i) => ended[i].code === 0 && p.event("done")?.last === "OK").length;
  report({
    id: "f",
    title: "keepalive close (client keepalive on a frozen link) and client idle-timeout closes",
    pass: ok === all.length && live && !serverEnd.aborted && serverEnd.code === 0,
    detail: `${ok}/${all.length} clients (keepalive node/deno, idle-timeout node/deno) called ` +
      `OK afterwards (${ended.map(describe).join(", ")}); server ${
        live ? "serving" : "NOT serving"
      }, ${describe(serverEnd)}`,
  });
}

// (f, long) the server's own keepalive (60 s + 20 s) drops a frozen client; clients that idle past
// any server idle limit (the project's was 300 s) call again.
async function caseFServer(): Promise<void> {
  const title = "server keepalive drops a frozen client; clients idle 310 s, then call again";
  if (QUICK) {
    report({ id: "f-server", title, pass: null, detail: "needs 80 s and 300 s; full mode only" });
    return;
  }
  const { child: server, port } = await projectServer("fs-server", ["--basic"]);
  await using proxy = new FreezingProxy(port);
  const frozen = [
    nodePeer("fs-keepalive-node", [
      ...idleClientArgs(proxy.port, 5),
      "--idle-ms",
      "120000",
      "--then",
      "call",
    ]),
  ];
  const idle = [
    nodePeer("fs-maxidle-node", [
      ...idleClientArgs(port, 13),
      "--idle-ms",
      "310000",
      "--then",
      "call",
    ]),
    denoPeer("fs-maxidle-deno-mitigated", [
      ...idleClientArgs(port, 13),
      "--opt",
      `grpc.client_idle_timeout_ms=60000`,
      "--idle-ms",
      "310000",
      "--then",
      "call",
    ]),
  ];
  await frozen[0].waitFor(/"idle"/, 60_000);
  proxy.freeze();
  await sleep(100_000); // the server pings after 60 s and gives up 20 s later
  proxy.thaw();
  const all = [...frozen, ...idle];
  const ended = await Promise.all(all.map((p) => p.ended));
  const live = await alive(port);
  const { ended: serverEnd } = await stop(server);
  const ok = all.filter((p, i) => ended[i].code === 0 && p.event("done")?.last === "OK").length;
  report({
    id: "f-server",
    title,
    pass: ok === all.length && live && !serverEnd.aborted,
    detail:
      `${ok}/${all.length} clients called OK afterwards (${ended.map(describe).join(", ")}); ` +
      `server ${live ? "serving" : "NOT serving"}, ${describe(serverEnd)}`,
  });
}

// (g) kill -9 of client processes mid-stream
async function caseG(): Promise<void> {
  const { child: server, port } = await projectServer("g-server", [
    "--basic",
    "--stream-interval",
    "10",
  ]);
  const rounds = QUICK ? 2 : 5;
  const args = ["stream", "--target", `127.0.0.1:${port}`, "--streams", "10"];
  let killed = 0;
  for (let r = 0; r < rounds; r++) {
    const peers = [
      nodePeer(`g-node-${r}-a`, args),
      nodePeer(`g-node-${r}-b`, args),
      denoPeer(`g-deno-${r}-a`, args),
      denoPeer(`g-deno-${r}-b`, args),
    ];
    await Promise.all(peers.map((p) => p.waitFor(/"streaming"/, 60_000).catch(() => {})));
    await sleep(500);
    peers.forEach((p) => p.kill("SIGKILL"));
    killed += (await Promise.all(peers.map((p) => p.ended))).filter((e) => e.signal === "SIGKILL")
      .length;
  }
  await sleep(2_000);
  const live = await alive(port);
  const rss = server.rss();
  const { ended: serverEnd, graceful } = await stop(server);
  report({
    id: "g",
    title: "kill -9 of clients mid-stream (20 streams each, 4 clients a round)",
    pass: live && killed === rounds * 4 && !serverEnd.aborted && serverEnd.code === 0 && graceful,
    detail: `${killed} clients killed in ${rounds} rounds; server ${
      live ? "serving" : "NOT serving"
    } (RSS ${mb(rss)}), then ${describe(serverEnd)}${graceful ? ", graceful" : ""}`,
  });
}

// (h) memory per connection under churn
async function caseH(): Promise<void> {
  const { child: server, port } = await projectServer("h-server", [
    "--log-level",
    "warning",
    ...(WORKER_MAX_RSS === undefined ? [] : ["--worker-max-rss", String(WORKER_MAX_RSS)]),
  ]);
  // Recycles are logged at info: count the worker processes seen instead.
  const workers = new Set<number>(server.descendants());
  const restarts = server.count(/exited unexpectedly/);
  const start = server.rss();
  const warm = Math.min(1_000, Math.floor(CONNECTIONS / 10));
  const churnArgs = [
    "churn",
    "--target",
    `https://127.0.0.1:${port}`,
    "--ca",
    `${ROOT}certs/ca.pem`,
    "--secret-file",
    `${ROOT}.greeter/jwt-secret`,
    "--connections",
    String(CONNECTIONS),
    "--concurrency",
    "8",
    "--progress",
    String(warm),
    "--retry-unanswered",
    "3",
  ];
  const churn = nodePeer("h-churn", churnArgs);
  let base = NaN, peak = 0, overLimit = false;
  const samples: string[] = [];
  const watch = setInterval(() => {
    const rss = server.rss();
    peak = Math.max(peak, rss || 0);
    for (const pid of server.descendants()) workers.add(pid);
    const done = Number(churn.event("progress")?.done ?? 0);
    if (Number.isNaN(base) && done >= warm) base = rss;
    if (rss > RSS_LIMIT && !overLimit) {
      overLimit = true;
      churn.kill("SIGTERM");
    }
  }, 250);
  let lastSample = 0;
  const sampler = setInterval(() => {
    const done = Number(churn.event("progress")?.done ?? 0);
    if (done >= lastSample + CONNECTIONS / 5) {
      lastSample = done;
      samples.push(`${done}:${mb(server.rss())}`);
    }
  }, 500);
  const churnEnd = await churn.ended;
  clearInterval(watch);
  clearInterval(sampler);
  await sleep(3_000);
  const end = server.rss();
  const processes = 1 + server.descendants().length;
  const done = churn.event("done") as
    | { connections: number; statuses: Record<string, number>; seconds: number }
    | undefined;
  const connections = done?.connections ?? Number(churn.event("progress")?.done ?? 0);
  const okCalls = done?.statuses?.["0"] ?? 0;
  const perConn = (end - base) / Math.max(1, connections - warm);
  const probe = nodePeer("h-probe", [...churnArgs.slice(0, -8), "--connections", "1"]);
  const live = (await probe.ended).code === 0 &&
    (probe.event("done")?.statuses as Record<string, number> | undefined)?.["0"] === 1;
  const { ended: serverEnd } = await stop(server);
  const target = end <= 300e6 && okCalls === CONNECTIONS && live && !serverEnd.aborted &&
    !overLimit && restarts() === 0;
  report({
    id: "h",
    title:
      `memory under churn: ${CONNECTIONS} TLS connections, one authenticated SayHello each, closed`,
    pass: target,
    detail:
      `${okCalls}/${CONNECTIONS} OK${overLimit ? ` (stopped: RSS over ${mb(RSS_LIMIT)})` : ""}` +
      ` in ${done?.seconds.toFixed(0) ?? "?"} s (${describe(churnEnd)}); RSS start ${mb(start)}, ` +
      `after ${warm} ${mb(base)}, end ${mb(end)}, peak ${mb(peak)}; ` +
      `${(perConn / 1e3).toFixed(1)} KB per connection; samples ${samples.join(" ")}; ` +
      `${Math.max(0, workers.size - 1)} workers recycled, ${restarts()} died; ` +
      `RSS counts ${processes} processes; ${retriedConnections(churn)}` +
      `server ${live ? "serving" : "NOT serving"}, ${describe(serverEnd)}`,
  });
}

/** The churn's connections that closed before any response and were made again, if any. */
function retriedConnections(churn: Child): string {
  const retried = Number(churn.event("done")?.retried ?? 0);
  return retried > 0 ? `${retried} connections reset before any response and made again; ` : "";
}

// ---------------------------------------------------------------------------
const version = new TextDecoder().decode(
  (await new Deno.Command(DENO, { args: ["--version"] }).output()).stdout,
).split("\n")[0];
console.log(`stability matrix: ${version} (${DENO})${QUICK ? ", quick" : ""}; logs in ${LOG_DIR}`);
const t0 = performance.now();

const guarded = (id: string, run: () => Promise<void>) =>
  run().catch((error) =>
    report({ id, title: "harness error", pass: false, detail: String(error) })
  );

// Long idles, side by side: they mostly wait.
const long: Promise<void>[] = [];
if (ONLY.has("a")) long.push(guarded("a", caseA));
if (ONLY.has("b")) long.push(guarded("b", () => caseClientGoaway("b")));
if (ONLY.has("c")) long.push(guarded("c", () => caseClientGoaway("c")));
if (ONLY.has("f")) long.push(guarded("f-server", caseFServer));
// Loaded cases, one at a time, while those wait.
if (ONLY.has("d")) await guarded("d", caseD);
if (ONLY.has("e")) await guarded("e", caseE);
if (ONLY.has("f")) await guarded("f", caseFClient);
if (ONLY.has("g")) await guarded("g", caseG);
if (ONLY.has("h")) await guarded("h", caseH);
await Promise.all(long);

const failed = results.filter((r) => r.pass === false);
const skipped = results.filter((r) => r.pass === null);
console.log(
  `summary: ${version.split(" ").slice(0, 2).join(" ")}: ` +
    `${results.length - failed.length - skipped.length} passed, ${failed.length} failed` +
    (failed.length ? ` (${failed.map((r) => r.id).join(", ")})` : "") +
    (skipped.length ? `, ${skipped.length} skipped` : "") +
    ` in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
Deno.exit(failed.length ? 1 : 0);
