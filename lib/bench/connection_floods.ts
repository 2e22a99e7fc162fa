/**
 * Connection-level HTTP/2 floods, and a well-behaved caller to measure what
 * they do to everyone else: a connection that sends nothing but
 * WINDOW_UPDATE frames (no stream, no token), and rapid reset in a
 * reconnect loop (streams opened and reset at once; when the peer cuts the
 * connection, a new one). Used by `scripts/connection_flood.ts` and
 * `tests/deploy/proxy_floods_test.ts`, against the server directly or
 * through the `deploy/` proxy.
 *
 * An attacker can come from a loopback address of its own (`localAddress`,
 * e.g. `127.0.0.2`), so a proxy's per-address limits tell it apart from the
 * control caller on `127.0.0.1`.
 *
 * @module
 */
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { Buffer } from "node:buffer";
import { grpcMessage, h2Frame } from "./raw_http2.ts";

/** Where a flood or the control caller connects. */
export interface FloodTarget {
  /** Address to connect to. */
  host: string;
  /** Port to connect to. */
  port: number;
  /** CA certificate (PEM) the target's certificate is checked against. */
  ca: string;
  /** Name the certificate must carry. @default "localhost" */
  servername?: string;
  /** Local address to connect from (a loopback alias such as `127.0.0.2`). */
  localAddress?: string;
}

/** What a WINDOW_UPDATE flood did. */
export interface WindowUpdateFloodResult {
  /** WINDOW_UPDATE frames written. */
  frames: number;
  /** When the peer closed the connection, in ms after the flood began; undefined if it never did. */
  cutAfterMs?: number;
  /** The GOAWAY error code the peer sent, if it sent one. */
  goawayCode?: number;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME_SETTINGS = 0x4;
const FRAME_GOAWAY = 0x7;
const FRAME_WINDOW_UPDATE = 0x8;
const FLAG_ACK = 0x1;

/** A TLS connection speaking h2, from `localAddress` when one is given. */
function connectTls(target: FloodTarget): tls.TLSSocket {
  const options: tls.ConnectionOptions = {
    ca: target.ca,
    servername: target.servername ?? "localhost",
    ALPNProtocols: ["h2"],
  };
  if (target.localAddress === undefined) {
    return tls.connect({ ...options, host: target.host, port: target.port });
  }
  const raw = net.connect({
    host: target.host,
    port: target.port,
    localAddress: target.localAddress,
  });
  // The TLS socket reports failures; the raw one must not throw them again.
  raw.on("error", () => {});
  return tls.connect({ ...options, socket: raw });
}

/**
 * Opens one connection and sends WINDOW_UPDATE frames on stream 0 (increment
 * 1, so the window never overflows) as fast as the peer reads them (or at
 * `bytesPerSecond`), for `durationMs` or until the peer closes the
 * connection. It answers the peer's SETTINGS (so the connection is
 * well-formed) and nothing else.
 *
 * @param target where to connect
 * @param durationMs how long to flood
 * @param bytesPerSecond a rate to keep to (written every 10 ms); as fast as the peer reads when absent
 * @returns frames sent, and when and how the peer cut the connection
 *
 * @example
 * ```ts
 * const result = await windowUpdateFlood({ host: "127.0.0.1", port, ca }, 5_000);
 * console.log(result.cutAfterMs ?? "never cut");
 * ```
 */
export async function windowUpdateFlood(
  target: FloodTarget,
  durationMs: number,
  bytesPerSecond?: number,
): Promise<WindowUpdateFloodResult> {
  const socket = connectTls(target);
  const result: WindowUpdateFloodResult = { frames: 0 };
  let closed = false;
  let started = 0;
  // Set when the flood ends on its own: the close that follows is not the peer's doing.
  let stopping = false;
  const ended = new Promise<void>((resolve) => {
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      if (started > 0 && !stopping) result.cutAfterMs ??= performance.now() - started;
      resolve();
    });
  });
  await new Promise<void>((resolve) => {
    socket.once("secureConnect", () => resolve());
    socket.once("close", () => resolve());
  });
  if (closed) throw new Error(`cannot connect to ${target.host}:${target.port}`);
  // Read the peer's frames: acknowledge its SETTINGS, note its GOAWAY.
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      const type = pending[3];
      const flags = pending[4];
      if (type === FRAME_SETTINGS && (flags & FLAG_ACK) === 0 && !closed) {
        socket.write(h2Frame(FRAME_SETTINGS, FLAG_ACK, 0, new Uint8Array()));
      } else if (type === FRAME_GOAWAY && length >= 8) {
        result.goawayCode = pending.readUInt32BE(9 + 4);
        if (started > 0) result.cutAfterMs ??= performance.now() - started;
      }
      pending = pending.subarray(9 + length);
    }
  });
  socket.write(Buffer.concat([PREFACE, h2Frame(FRAME_SETTINGS, 0, 0, new Uint8Array())]));

  const increment = Buffer.alloc(4);
  increment.writeUInt32BE(1);
  const one = h2Frame(FRAME_WINDOW_UPDATE, 0, 0, increment);
  // 13 bytes a frame: as many per 10 ms as the rate allows, else 4096 per write.
  const perWrite = bytesPerSecond === undefined
    ? 4096
    : Math.max(1, Math.round(bytesPerSecond / 100 / one.length));
  const burst = Buffer.concat(Array.from({ length: perWrite }, () => one));
  started = performance.now();
  const ends = started + durationMs;
  while (!closed && result.cutAfterMs === undefined && performance.now() < ends) {
    const more = socket.write(burst);
    result.frames += perWrite;
    if (bytesPerSecond !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    } else if (!more) {
      // Wait until the peer has read what is queued (or the flood's time is up).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, ends - performance.now()));
        const done = () => {
          clearTimeout(timer);
          socket.off("drain", done);
          socket.off("close", done);
          resolve();
        };
        socket.on("drain", done);
        socket.on("close", done);
      });
    }
  }
  stopping = true;
  socket.destroy();
  await ended;
  return result;
}

/**
 * Opens `count` TLS connections at once and closes them again; counts those
 * whose handshake completed (a proxy limiting new connections per address
 * closes the others first).
 *
 * @param target where to connect
 * @param count connections at once
 * @returns how many completed the TLS handshake
 *
 * @example
 * ```ts
 * const admitted = await connectBurst({ host: "127.0.0.1", port, ca }, 40);
 * ```
 */
export async function connectBurst(target: FloodTarget, count: number): Promise<number> {
  const outcomes = await Promise.all(Array.from({ length: count }, async () => {
    const socket = connectTls(target);
    socket.on("error", () => {});
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const admitted = await Promise.race([
      new Promise<boolean>((resolve) => socket.once("secureConnect", () => resolve(true))),
      closed.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5_000))),
    ]);
    clearTimeout(timer);
    socket.destroy();
    await closed;
    return admitted;
  }));
  return outcomes.filter(Boolean).length;
}

/** What a rapid-reset reconnect loop did. */
export interface RapidResetResult {
  /** Connections opened (each reconnect is one). */
  connections: number;
  /** Streams opened and reset at once. */
  resets: number;
  /** Connections the peer closed (GOAWAY or close) while the loop still used them. */
  cutByPeer: number;
}

/**
 * `parallel` loops, each opening a connection, opening and resetting streams
 * on it in bursts of 50 (a `SayHello` request without a token, reset with
 * `CANCEL`), and reconnecting as soon as the peer cuts the connection, for
 * `durationMs`.
 *
 * @param target where to connect
 * @param durationMs how long the loops run
 * @param parallel loops at once
 * @returns connections, resets, and how many connections the peer cut
 *
 * @example
 * ```ts
 * const result = await rapidResetLoop({ host: "127.0.0.1", port, ca }, 5_000, 4);
 * console.log(`${result.connections} connections, ${result.resets} resets`);
 * ```
 */
export async function rapidResetLoop(
  target: FloodTarget,
  durationMs: number,
  parallel: number,
): Promise<RapidResetResult> {
  const result: RapidResetResult = { connections: 0, resets: 0, cutByPeer: 0 };
  const ends = performance.now() + durationMs;
  const headers = {
    ":method": "POST",
    ":path": "/helloworld.Greeter/SayHello",
    "content-type": "application/grpc",
    te: "trailers",
  };
  const loop = async () => {
    while (performance.now() < ends) {
      result.connections++;
      const session = http2.connect(`https://${target.host}:${target.port}`, {
        createConnection: () => connectTls(target),
      });
      session.on("error", () => {});
      let cut = false;
      session.on("goaway", () => (cut = true));
      const closed = new Promise<void>((resolve) => session.on("close", resolve));
      await Promise.race([
        new Promise<void>((resolve) => session.once("connect", () => resolve())),
        closed,
        new Promise((resolve) => setTimeout(resolve, 5_000)),
      ]);
      while (performance.now() < ends && !cut && !session.closed && !session.destroyed) {
        try {
          for (let i = 0; i < 50; i++) {
            const stream = session.request(headers);
            stream.on("error", () => {});
            stream.close(http2.constants.NGHTTP2_CANCEL);
            result.resets++;
          }
        } catch {
          break; // the session went away under us
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (performance.now() < ends) result.cutByPeer++;
      session.destroy();
      await closed;
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
  return result;
}

/** How one call ended, as the client saw it. */
export interface CallOutcome {
  /** `grpc-status` from the trailers (or headers); "" when none arrived (cut, timed out). */
  status: string;
  /** `grpc-message`, if any. */
  message: string;
  /** The reply's bytes as latin1 text (the greeting is readable in it). */
  reply: string;
  /** Time from the request to the end of the call, in ms. */
  ms: number;
}

/** The request message { name: "control" } as one gRPC message. */
const CONTROL_REQUEST = grpcMessage(
  new Uint8Array([0x0a, 7, ...new TextEncoder().encode("control")]),
);

/**
 * One `SayHello { name: "control" }` on `session`, given `timeoutMs`.
 *
 * @param session an HTTP/2 client session to the server or the proxy
 * @param token a bearer token
 * @param timeoutMs the call is reset after this long
 * @returns how the call ended
 *
 * @example
 * ```ts
 * const outcome = await sayHelloRaw(session, token, 5_000);
 * console.log(outcome.status === "0" ? "OK" : outcome.message);
 * ```
 */
export function sayHelloRaw(
  session: http2.ClientHttp2Session,
  token: string,
  timeoutMs: number,
): Promise<CallOutcome> {
  const started = performance.now();
  return new Promise<CallOutcome>((resolve) => {
    const outcome: CallOutcome = { status: "", message: "", reply: "", ms: 0 };
    let call: http2.ClientHttp2Stream;
    try {
      call = session.request({
        ":method": "POST",
        ":path": "/helloworld.Greeter/SayHello",
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${token}`,
      });
    } catch (error) {
      resolve({ ...outcome, message: (error as Error).message });
      return;
    }
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.off("close", finish);
      outcome.ms = performance.now() - started;
      resolve(outcome);
    };
    // A stream may never close when its session fails to connect.
    session.once("close", finish);
    const timer = setTimeout(() => {
      call.close(http2.constants.NGHTTP2_CANCEL);
      finish();
    }, timeoutMs);
    const read = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) outcome.status = String(headers["grpc-status"]);
      if (headers["grpc-message"] !== undefined) {
        outcome.message = decodeURIComponent(String(headers["grpc-message"]));
      }
    };
    call.on("response", read);
    call.on("trailers", read);
    call.on("data", (chunk: Buffer) => (outcome.reply += chunk.toString("latin1")));
    call.on("error", () => {});
    call.on("close", finish);
    call.end(CONTROL_REQUEST);
  });
}

/**
 * Opens one connection and makes `count` `SayHello` calls on it at once.
 *
 * @param target where to connect
 * @param token a bearer token
 * @param count calls at once
 * @param timeoutMs per call
 * @returns each call's outcome
 *
 * @example
 * ```ts
 * const outcomes = await callBurst({ host: "127.0.0.1", port, ca }, token, 300, 5_000);
 * console.log(outcomes.filter((o) => o.status === "8").length, "refused");
 * ```
 */
export async function callBurst(
  target: FloodTarget,
  token: string,
  count: number,
  timeoutMs: number,
): Promise<CallOutcome[]> {
  const session = http2.connect(`https://${target.host}:${target.port}`, {
    createConnection: () => connectTls(target),
  });
  session.on("error", () => {});
  // Each call watches the session's close.
  session.setMaxListeners(count + 10);
  try {
    return await Promise.all(
      Array.from({ length: count }, () => sayHelloRaw(session, token, timeoutMs)),
    );
  } finally {
    const closed = new Promise((resolve) => session.once("close", resolve));
    session.destroy();
    await closed;
  }
}

/** What the control caller saw. */
export interface ControlResult {
  /** Calls answered `OK` with the expected greeting. */
  ok: number;
  /** Calls that failed or took longer than the timeout. */
  failed: number;
  /** Latency of each OK call, in ms, in the order made. */
  latenciesMs: number[];
}

/**
 * A well-behaved client: one connection, one `SayHello` with a valid token
 * every `intervalMs` for `durationMs`, each given `timeoutMs`.
 *
 * @param target where to connect
 * @param token a bearer token the server accepts
 * @param durationMs how long to call
 * @param intervalMs pause between calls
 * @param timeoutMs a call that takes longer counts as failed
 * @returns OK and failed calls, and the OK calls' latencies
 *
 * @example
 * ```ts
 * const control = await controlCalls({ host: "127.0.0.1", port, ca }, token, 5_000, 100, 5_000);
 * console.log(control.ok, control.failed);
 * ```
 */
export async function controlCalls(
  target: FloodTarget,
  token: string,
  durationMs: number,
  intervalMs: number,
  timeoutMs: number,
): Promise<ControlResult> {
  const result: ControlResult = { ok: 0, failed: 0, latenciesMs: [] };
  const ends = performance.now() + durationMs;
  let session: http2.ClientHttp2Session | undefined;
  const sessions: Promise<unknown>[] = [];
  while (performance.now() < ends) {
    if (session === undefined || session.closed || session.destroyed) {
      session = http2.connect(`https://${target.host}:${target.port}`, {
        createConnection: () => connectTls(target),
      });
      session.on("error", () => {});
      const current = session;
      sessions.push(new Promise((resolve) => current.once("close", resolve)));
    }
    const outcome = await sayHelloRaw(session, token, timeoutMs);
    if (outcome.status === "0" && outcome.reply.includes("Hello, control!")) {
      result.ok++;
      result.latenciesMs.push(outcome.ms);
    } else {
      result.failed++;
      // A failed call may mean a dead connection: start over on a new one.
      session.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  session?.destroy();
  await Promise.all(sessions);
  return result;
}
