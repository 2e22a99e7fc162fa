/**
 * `GREETER_WORKERS`: one worker against N, side by side. Starts `main.ts`
 * twice as a user would (TLS, JWT, call logging at info into /dev/null,
 * metrics; `GREETER_WORKERS=1` and `=N`), then takes turns driving each with
 * the same load (unary, many connections, so the kernel can spread them),
 * round after round. Per round and server: calls/s seen by the client, and
 * server CPU per call, summed over the whole process tree (the supervisor and
 * its workers, from `/proc`). At the end each server is stopped with one
 * SIGTERM, and each worker's shutdown line says how many calls it served.
 *
 *   deno task bench:workers [--workers 2] [--rounds 5] [--duration 3s]
 *     [--concurrency 64] [--channels 8]
 *
 * Linux only (`/proc`; Deno reads another process's `/proc` files only with
 * `-A`, hence the task's permissions). On a 2-core machine shared with the load generator,
 * N = 2 cannot be faster: see BENCHMARKS.md for what it can and cannot show.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { median } from "../lib/bench/median.ts";
import { openSeparateConnections } from "../lib/bench/connections.ts";
import { runLoad } from "../lib/bench/load_runner.ts";
import { createPatternCall } from "../lib/bench/bench_calls.ts";
import { BENCH_ISSUER, benchTokenProvider } from "../lib/bench/bench_token_provider.ts";
import { readScriptSettings } from "../lib/cli/script_settings.ts";
import type { SettingsTable } from "../lib/cli/settings.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) of `pid` and every descendant, from `/proc`. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (p === 0) continue; // the trailing space of a children list
    try {
      const stat = Deno.readTextFileSync(`/proc/${p}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      for (const task of Deno.readDirSync(`/proc/${p}/task`)) {
        const children = Deno.readTextFileSync(`/proc/${p}/task/${task.name}/children`).trim();
        if (children !== "") stack.push(...children.split(" ").map(Number));
      }
    } catch (error) {
      // A process that ended meanwhile has nothing more to count; the root must be there.
      if (p === pid) throw error;
    }
  }
  return ticks / CLOCK_TICKS;
}

interface Server {
  workers: number;
  port: number;
  pid: number;
  lines: Record<string, unknown>[];
  stop(): Promise<void>;
}

async function startServer(workers: number, secret: string): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=server", "main.ts", "--port", "0", "--log-format", "json"],
    cwd: ROOT,
    env: {
      GREETER_WORKERS: String(workers),
      GREETER_ADMIN: "off",
      GREETER_JWT_SECRET: secret,
      GREETER_JWT_ISSUER: BENCH_ISSUER,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let onLine: ((line: Record<string, unknown>) => void) | undefined;
  const reading = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) !== -1) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        // Call lines are many: parse only the lines this script reads.
        if (!/listening|shutdown/.test(text)) continue;
        const line = JSON.parse(text);
        lines.push(line);
        onLine?.(line);
      }
    }
  })();
  const port = await new Promise<number>((resolve, reject) => {
    onLine = (line) => {
      const message = String(line.message);
      if (/workers listening/.test(message)) resolve(Number(line.port));
      else if (workers === 1 && /^Greeter listening/.test(message)) {
        resolve(Number(String(line.address).split(":").pop()));
      }
    };
    child.status.then(() => reject(new Error(`server with ${workers} workers exited`)));
  });
  onLine = undefined;
  return {
    workers,
    port,
    pid: child.pid,
    lines,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reading;
    },
  };
}

/** The script's settings (flags only). */
export const WORKERS_SETTINGS = {
  workers: {
    flag: "workers",
    kind: "int",
    min: 1,
    default: 2,
    help: "workers of the second server",
  },
  rounds: {
    flag: "rounds",
    kind: "int",
    min: 1,
    default: 5,
    help: "rounds; each drives both servers",
  },
  duration: {
    flag: "duration",
    kind: "duration",
    default: 3000,
    help: "measurement window per server and round, e.g. 3s or 500ms; a bare number is seconds",
  },
  concurrency: { flag: "concurrency", kind: "int", min: 1, default: 64, help: "calls in flight" },
  channels: { flag: "channels", kind: "int", min: 1, default: 8, help: "connections per server" },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

if (import.meta.main) {
  const values = readScriptSettings(WORKERS_SETTINGS, Deno.args, "deno task bench:workers [flags]");
  const n = values.workers;
  const rounds = values.rounds;
  const durationMs = values.duration;
  const secret = `bench-secret-${crypto.randomUUID()}`;
  const servers = [await startServer(1, secret), await startServer(n, secret)];
  const ca = await Deno.readTextFile(`${ROOT}certs/ca.pem`);
  const tokenProvider = benchTokenProvider(secret);
  const connections = servers.map((s) =>
    openSeparateConnections(
      { target: `localhost:${s.port}`, tls: { ca }, tokenProvider, deadlineMs: 10_000 },
      values.channels,
    )
  );
  const figures = servers.map(() => ({ callsPerSecond: [] as number[], cpuUs: [] as number[] }));
  console.log(
    `# 1 worker vs ${n} (unary, concurrency ${values.concurrency}, channels ${values.channels}, ` +
      `${durationMs / 1000} s per run, ${rounds} rounds)`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const before = treeCpuSeconds(servers[i].pid);
      const result = await runLoad({
        call: createPatternCall("unary", { connections: connections[i] }),
        concurrency: values.concurrency,
        durationMs,
        warmupMs: 500,
      });
      const cpu = treeCpuSeconds(servers[i].pid) - before;
      figures[i].callsPerSecond.push(result.callsPerSecond);
      figures[i].cpuUs.push((cpu * 1e6) / (result.calls + result.warmupCalls));
    }
    console.log(
      `round ${round + 1}: ` +
        servers.map((s, i) =>
          `${s.workers} worker(s) ${figures[i].callsPerSecond[round].toFixed(0)}/s ${
            figures[i].cpuUs[round].toFixed(0)
          } µs/call`
        ).join(" | "),
    );
  }
  for (const list of connections) for (const c of list) c.close();
  for (const s of servers) await s.stop();
  const ratio = (key: "callsPerSecond" | "cpuUs") =>
    median(figures[1][key].map((v, r) => v / figures[0][key][r]));
  console.log(
    `median ${n} workers / 1: calls/s x${ratio("callsPerSecond").toFixed(3)}, ` +
      `server CPU per call x${ratio("cpuUs").toFixed(3)} (medians ${
        median(figures[1].cpuUs).toFixed(0)
      } vs ${median(figures[0].cpuUs).toFixed(0)} µs/call)`,
  );
  const served = servers[1].lines
    .filter((l) => /^shutdown /.test(String(l.message)))
    .map((l) => Number(l.totalCalls));
  const total = served.reduce((a, b) => a + b, 0);
  console.log(
    `calls served per worker with ${n} workers: ${
      served.map((c) => `${c} (${((100 * c) / total).toFixed(1)} %)`).join(", ")
    }`,
  );
}
