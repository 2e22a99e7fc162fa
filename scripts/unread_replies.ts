/**
 * Server memory held for clients that never read: starts `main.ts` of
 * `--root` (`--basic`, so the raw client needs no TLS or token), opens
 * `--connections` plaintext HTTP/2 connections that advertise the largest
 * flow-control windows (2^31-1; `--windows default` keeps HTTP/2's 65,535),
 * starts `--streams` `SayHelloStream` calls on each (`--count` replies, 100 by
 * default, of a 200-character name), never reads a byte, and prints the server's resident
 * memory (`VmRSS`) before and after `--hold`. The server runs as one process
 * (`GREETER_WORKER_MAX_RSS_MB=0`), so a recycled worker does not hide what is held.
 *
 *   deno run -A scripts/unread_replies.ts [--connections 5] [--streams 1000] [--hold 10s]
 *     [--count 100] [--windows huge|default] [--root DIR]
 *
 * The frames are written by hand (HPACK literals), so no client library's
 * flow control hides what the server does.
 *
 * @module
 */
import { grpcMessage, h2Frame, hpackBlock } from "../lib/bench/raw_http2.ts";
import { checkoutRootSetting, readScriptSettings } from "../lib/cli/script_settings.ts";
import type { SettingsTable } from "../lib/cli/settings.ts";
import { loadGreeterProto } from "../lib/shared/proto.ts";
import { treeRssBytes } from "./stability/process.ts";

/** The script's settings. */
export const UNREAD_SETTINGS = {
  connections: {
    flag: "connections",
    kind: "int",
    min: 1,
    max: 100,
    default: 5,
    help: "connections",
  },
  streams: {
    flag: "streams",
    kind: "int",
    min: 1,
    max: 1000,
    default: 1000,
    help: "SayHelloStream calls per connection (the server allows 1000)",
  },
  count: {
    flag: "count",
    kind: "int",
    min: 1,
    max: 100,
    default: 100,
    help: "replies per call (1 measures an open call without its replies)",
  },
  hold: { flag: "hold", kind: "duration", default: 10_000, help: "time before measuring" },
  windows: {
    flag: "windows",
    kind: "enum",
    choices: ["huge", "default"],
    default: "huge",
    help: "flow-control windows the client advertises: huge (2^31-1) or default (65,535)",
  },
  root: checkoutRootSetting("checkout whose main.ts is measured"),
  help: { flag: "help", kind: "switch", help: "print this help" },
} as const satisfies SettingsTable;

/** Runs the measurement and prints one line. */
export async function measureUnreadReplies(
  options: {
    connections: number;
    streams: number;
    hold: number;
    root: string;
    count?: number;
    windows?: "huge" | "default";
  },
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "-q",
      `${options.root}/main.ts`,
      "--basic",
      "--port",
      "0",
      "--admin",
      "off",
    ],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      // One process, never recycled: a replaced worker would hide what is held.
      GREETER_WORKER_MAX_RSS_MB: "0",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  let text = "";
  let port = 0;
  const deadline = Date.now() + 30_000;
  while (port === 0 && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited:\n${text}`);
    text += new TextDecoder().decode(value);
    port = Number(/listening on [^ ]*:(\d+)/.exec(text)?.[1] ?? 0);
  }
  const draining = (async () => {
    while (!(await reader.read()).done) { /* call lines */ }
  })();
  // The server and its workers (main.ts runs under a supervisor on a leaking Deno).
  const rssMb = () => treeRssBytes(child.pid) / 2 ** 20;

  const message = grpcMessage(
    loadGreeterProto().helloworld.Greeter.service.SayHelloStream.requestSerialize({
      name: "x".repeat(200),
      count: options.count ?? 100,
    }),
  );
  const block = hpackBlock([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", "/helloworld.Greeter/SayHelloStream"],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ]);
  const settings = new Uint8Array(6); // SETTINGS_INITIAL_WINDOW_SIZE = 2^31-1
  new DataView(settings.buffer).setUint16(0, 4);
  new DataView(settings.buffer).setUint32(2, 2 ** 31 - 1);
  const windowUpdate = new Uint8Array(4); // connection window to 2^31-1
  new DataView(windowUpdate.buffer).setUint32(0, 2 ** 31 - 1 - 65_535);

  const huge = (options.windows ?? "huge") === "huge";
  const before = rssMb();
  const connections: Deno.Conn[] = [];
  try {
    for (let c = 0; c < options.connections; c++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      connections.push(conn);
      await conn.write(new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
      if (huge) {
        await conn.write(h2Frame(4, 0, 0, settings));
        await conn.write(h2Frame(8, 0, 0, windowUpdate));
      } else await conn.write(h2Frame(4, 0, 0, new Uint8Array(0)));
      for (let i = 0; i < options.streams; i++) {
        await conn.write(h2Frame(1, 4, 1 + 2 * i, block)); // HEADERS, END_HEADERS
        await conn.write(h2Frame(0, 1, 1 + 2 * i, message)); // DATA, END_STREAM
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.hold));
    const after = rssMb();
    const calls = options.connections * options.streams;
    console.log(
      `${options.root}: server RSS ${before.toFixed(0)} MB -> ${after.toFixed(0)} MB ` +
        `(+${((after - before) * 1024 / calls).toFixed(0)} KB a call) with ${calls} ` +
        `SayHelloStream(${options.count ?? 100}) calls whose client never reads (${
          huge ? "huge" : "default"
        } ` +
        `windows), after ${options.hold / 1000} s`,
    );
  } finally {
    for (const conn of connections) conn.close();
    child.kill("SIGKILL");
    await child.status;
    await draining.catch(() => {});
  }
}

if (import.meta.main) {
  const values = readScriptSettings(
    UNREAD_SETTINGS,
    Deno.args,
    "deno run -A scripts/unread_replies.ts [flags]",
  );
  await measureUnreadReplies(values);
}
