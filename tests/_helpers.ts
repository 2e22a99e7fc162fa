/**
 * Shared test helpers: a real Greeter server over TLS with auth on port 0, a
 * client for it, token minting (valid and every broken kind), promise wrappers
 * for the four call patterns, and a recording log sink.
 *
 * Nothing here fakes the transport: every call crosses a TLS connection to a
 * server started in this process.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { LogRecord, Sink } from "@logtape/logtape";
import * as jose from "jose";
import { Buffer } from "node:buffer";
import { signToken } from "../lib/auth/jwt.ts";
import { type DevPki, generateDevPki } from "../lib/shared/dev_certs.ts";
import { setupLogging } from "../lib/shared/log.ts";
import { type GreeterClient, type HelloRequest, loadGreeterProto } from "../lib/shared/proto.ts";
// Types only: the server module is loaded on first use, so token and log
// helpers work in tests that never start a server.
import type {
  GreeterServerOptions,
  RunningGreeterServer,
  ServerAuthOptions,
} from "../lib/server/greeter_server.ts";

/** Issuer the test servers require. */
export const TEST_ISSUER = "greeter-test";
/** Audience the test servers require. */
export const TEST_AUDIENCE = "helloworld.Greeter";
/** Subject of the tokens the helpers mint. */
export const TEST_SUBJECT = "test-user";

let pkiPromise: Promise<DevPki> | undefined;

/** The test PKI, generated once per test module (each module is its own isolate). */
export function testPki(): Promise<DevPki> {
  pkiPromise ??= generateDevPki();
  return pkiPromise;
}

/** A fresh random 32-byte HMAC secret. */
export function randomSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** Options for {@linkcode startTestServer}: server options plus auth overrides. */
export interface TestServerOptions
  extends Partial<Omit<GreeterServerOptions, "auth" | "tls" | "logger">> {
  /** Auth overrides on top of the test issuer, audience and a random secret. */
  auth?: Partial<ServerAuthOptions>;
}

/** A running test server with the material needed to talk to it. */
export interface TestServer extends AsyncDisposable {
  /** The server under test. */
  readonly server: RunningGreeterServer;
  /** Its port. */
  readonly port: number;
  /** The HMAC secret it verifies tokens with. */
  readonly secret: Uint8Array;
  /** The PKI it serves (clients trust `pki.caCert`). */
  readonly pki: DevPki;
  /** Mints a token the server accepts (or a broken one, see {@linkcode mintToken}). */
  token(kind?: TokenKind, options?: Omit<MintOptions, "secret">): Promise<string>;
  /** A new client for this server; the caller must `close()` it (or use `using`). */
  client(options?: grpc.ChannelOptions): TestClient;
}

/** A Greeter client that closes on dispose. */
export type TestClient = GreeterClient & Disposable;

/**
 * Starts a TLS + auth Greeter server on 127.0.0.1, port 0, with the test PKI
 * and a random secret (unless overridden).
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const pki = await testPki();
  const { auth: authOverrides, ...rest } = options;
  const secret = authOverrides?.secret ?? randomSecret();
  const { startGreeterServer } = await import("../lib/server/greeter_server.ts");
  const server = await startGreeterServer({
    ...rest,
    tls: { cert: pki.serverCert, key: pki.serverKey },
    auth: {
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      ...authOverrides,
      secret,
    },
  });
  return {
    server,
    port: server.port,
    secret,
    pki,
    token: (kind = "valid", mint = {}) => mintToken(kind, { ...mint, secret }),
    client: (channelOptions) => createTestClient(server.port, pki.caCert, channelOptions),
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/**
 * A Greeter client over TLS trusting `caCert`, dialing `localhost:<port>`.
 * Dispose (or `close()`) it when done.
 */
export function createTestClient(
  port: number,
  caCert: string,
  options: grpc.ChannelOptions = {},
): TestClient {
  const { helloworld } = loadGreeterProto();
  const client = new helloworld.Greeter(
    `localhost:${port}`,
    grpc.credentials.createSsl(Buffer.from(caCert)),
    options,
  ) as TestClient;
  client[Symbol.dispose] = () => client.close();
  return client;
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

/** Kinds of token {@linkcode mintToken} can make. */
export type TokenKind =
  | "valid"
  | "expired"
  | "wrong-issuer"
  | "wrong-audience"
  | "not-yet-valid"
  | "bad-signature"
  | "alg-none"
  | "missing-sub";

/** Options for {@linkcode mintToken}. */
export interface MintOptions {
  /** Secret the server verifies with (a different one is used for `bad-signature`). */
  secret: Uint8Array;
  /** `sub`. @default TEST_SUBJECT */
  subject?: string;
  /** Lifetime of a `valid` token, in seconds. @default 300 */
  ttlSeconds?: number;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Mints a token of the given kind for a server verifying with `options.secret`. */
export async function mintToken(kind: TokenKind, options: MintOptions): Promise<string> {
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const subject = options.subject ?? TEST_SUBJECT;
  const base = {
    secret: options.secret,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    subject,
    now: options.now,
  };
  switch (kind) {
    case "valid":
      return await signToken({ ...base, ttlSeconds: options.ttlSeconds ?? 300 });
    case "expired":
      // Well past any clock tolerance.
      return await signToken({ ...base, issuedAt: now - 600, ttlSeconds: 300 });
    case "wrong-issuer":
      return await signToken({ ...base, issuer: "someone-else" });
    case "wrong-audience":
      return await signToken({ ...base, audience: "other.Service" });
    case "not-yet-valid":
      return await signToken({ ...base, notBefore: now + 300 });
    case "bad-signature":
      return await signToken({ ...base, secret: randomSecret() });
    case "alg-none":
      return `${base64url({ alg: "none", typ: "JWT" })}.${
        base64url({
          sub: subject,
          iss: TEST_ISSUER,
          aud: TEST_AUDIENCE,
          iat: now,
          exp: now + 300,
        })
      }.`;
    case "missing-sub":
      // signToken always sets `sub`, so this one is signed with jose directly.
      return await new jose.SignJWT({})
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(options.secret);
  }
}

/** Request metadata carrying `authorization` exactly as given (none when undefined). */
export function authMetadata(authorization: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set("authorization", authorization);
  return metadata;
}

/** Request metadata carrying `Bearer <token>`. */
export function bearer(token: string): grpc.Metadata {
  return authMetadata(`Bearer ${token}`);
}

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

/** How a call ended, whatever its pattern. */
export interface CallResult {
  /** Final status code. */
  code: grpc.status;
  /** Status details. */
  details: string;
  /** Reply messages, in arrival order. */
  messages: string[];
  /** Response headers, when the server sent any. */
  headers?: grpc.Metadata;
  /** Trailers, when the call ended with a status from the server. */
  trailers?: grpc.Metadata;
}

/** Per-call options for the call helpers. */
export interface CallOptions {
  /** Request metadata (use {@linkcode bearer}). */
  metadata?: grpc.Metadata;
  /** Deadline from now, in ms; keeps a broken server from hanging a test. @default 10000 */
  deadlineMs?: number;
}

function callOptions(options: CallOptions): grpc.CallOptions {
  return { deadline: Date.now() + (options.deadlineMs ?? 10_000) };
}

interface CallEvents {
  on(event: "metadata", listener: (metadata: grpc.Metadata) => void): unknown;
  on(event: "status", listener: (status: grpc.StatusObject) => void): unknown;
}

/** Collects headers and the final status of a call; resolves when both the status and `done` have come. */
function track(call: CallEvents, result: CallResult): Promise<CallResult> {
  call.on("metadata", (headers) => result.headers = headers);
  return new Promise((resolve) => {
    call.on("status", (status) => {
      result.code = status.code;
      result.details = status.details;
      result.trailers = status.metadata;
      resolve(result);
    });
  });
}

function emptyResult(): CallResult {
  return { code: grpc.status.UNKNOWN, details: "", messages: [] };
}

/** `SayHello`, as a promise of its outcome (never rejects). */
export function unary(
  client: GreeterClient,
  request: HelloRequest,
  options: CallOptions = {},
): Promise<CallResult> {
  const result = emptyResult();
  let replied!: () => void;
  const reply = new Promise<void>((resolve) => replied = resolve);
  const call = client.SayHello(
    request,
    options.metadata ?? new grpc.Metadata(),
    callOptions(options),
    (_error, response) => {
      if (response) result.messages.push(response.message);
      replied();
    },
  );
  return Promise.all([track(call, result), reply]).then(() => result);
}

/** `SayHelloStream`, collecting every reply (never rejects). */
export function serverStream(
  client: GreeterClient,
  request: HelloRequest,
  options: CallOptions = {},
): Promise<CallResult> {
  const result = emptyResult();
  const call = client.SayHelloStream(
    request,
    options.metadata ?? new grpc.Metadata(),
    callOptions(options),
  );
  call.on("data", (reply) => result.messages.push(reply.message));
  call.on("error", () => {}); // the status event carries it
  const ended = new Promise<void>((resolve) => {
    call.on("end", resolve);
    call.on("error", () => resolve());
  });
  return Promise.all([track(call, result), ended]).then(() => result);
}

/** `SayHelloClientStream`: writes every request, half-closes, awaits the reply (never rejects). */
export function clientStream(
  client: GreeterClient,
  requests: readonly HelloRequest[],
  options: CallOptions = {},
): Promise<CallResult> {
  const result = emptyResult();
  let replied!: () => void;
  const reply = new Promise<void>((resolve) => replied = resolve);
  const call = client.SayHelloClientStream(
    options.metadata ?? new grpc.Metadata(),
    callOptions(options),
    (_error, response) => {
      if (response) result.messages.push(response.message);
      replied();
    },
  );
  for (const request of requests) call.write(request);
  call.end();
  return Promise.all([track(call, result), reply]).then(() => result);
}

/** Options for {@linkcode bidiPingPong}. */
export interface PingPongOptions extends CallOptions {
  /** Longest wait for the reply to one request, in ms. @default 2000 */
  replyTimeoutMs?: number;
  /** Leave the request side open at the end instead of half-closing. @default false */
  keepOpen?: boolean;
}

/** Result of {@linkcode bidiPingPong}: a call result plus how many requests were sent. */
export interface PingPongResult extends CallResult {
  /** Requests written before the call ended. */
  sent: number;
  /** Set when a reply did not come within `replyTimeoutMs` (the call was cancelled). */
  timedOut: boolean;
}

/**
 * `SayHelloBidirectional` as ping-pong: sends one request, waits for its reply,
 * then sends the next; half-closes after the last reply. A server that holds
 * replies back until half-close makes this time out (and cancel) rather than
 * hang. The deadline defaults to 5 s here. Never rejects.
 */
export async function bidiPingPong(
  client: GreeterClient,
  requests: readonly HelloRequest[],
  options: PingPongOptions = {},
): Promise<PingPongResult> {
  const result: PingPongResult = { ...emptyResult(), sent: 0, timedOut: false };
  const call = client.SayHelloBidirectional(
    options.metadata ?? new grpc.Metadata(),
    callOptions({ deadlineMs: 5000, ...options }),
  );
  const inbox: string[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  call.on("data", (reply) => {
    inbox.push(reply.message);
    wake?.();
  });
  call.on("error", () => {}); // the status event carries it
  const status = track(call, result).then((r) => {
    finished = true;
    wake?.();
    return r;
  });
  const next = (): Promise<string | undefined> => {
    if (inbox.length > 0 || finished) return Promise.resolve(inbox.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve(undefined);
      }, options.replyTimeoutMs ?? 2000);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve(inbox.shift());
      };
    });
  };

  for (const request of requests) {
    if (finished) break;
    call.write(request);
    result.sent++;
    const reply = await next();
    if (reply !== undefined) {
      result.messages.push(reply);
    } else if (!finished) {
      result.timedOut = true;
      call.cancel();
      break;
    }
  }
  if (!options.keepOpen && !result.timedOut) call.end();
  await status;
  result.messages.push(...inbox.splice(0));
  return result;
}

/** The first reply of an open stream, or `undefined` if it ended first. */
export function firstReply(
  call: grpc.ClientReadableStream<{ message: string }>,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    call.once("data", (reply: { message: string }) => resolve(reply.message));
    call.once("status", () => resolve(undefined));
  });
}

/** The final status of a call, as a promise. */
export function statusOf(call: CallEvents): Promise<grpc.StatusObject> {
  return new Promise((resolve) => call.on("status", resolve));
}

// ---------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------

/** `grpc.health.v1.Health/Check` with hand-written protobuf coding (one string in, one enum out). */
const HEALTH_CHECK: grpc.MethodDefinition<string, string> = {
  path: "/grpc.health.v1.Health/Check",
  requestStream: false,
  responseStream: false,
  requestSerialize: (service: string) => {
    const bytes = new TextEncoder().encode(service);
    if (bytes.length === 0) return Buffer.alloc(0);
    if (bytes.length > 127) throw new Error("test helper: service name too long");
    return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
  },
  requestDeserialize: (bytes: Buffer) => bytes.toString(),
  responseSerialize: (status: string) => Buffer.from(status),
  responseDeserialize: (bytes: Buffer) => {
    // field 1, varint: 0x08 <status>; an absent field is UNKNOWN.
    const code = bytes.length >= 2 && bytes[0] === 0x08 ? bytes[1] : 0;
    return ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"][code] ?? String(code);
  },
  originalName: "check",
};

/** Asks the health service about `service` with no token; resolves to a status name or a call result. */
export function healthCheck(
  port: number,
  caCert: string,
  service: string,
): Promise<{ code: grpc.status; details: string; status?: string }> {
  const client = new grpc.Client(
    `localhost:${port}`,
    grpc.credentials.createSsl(Buffer.from(caCert)),
  );
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      HEALTH_CHECK.path,
      HEALTH_CHECK.requestSerialize,
      HEALTH_CHECK.responseDeserialize,
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (error, status) => {
        client.close();
        resolve(
          error
            ? { code: error.code, details: error.details }
            : { code: grpc.status.OK, details: "", status },
        );
      },
    );
  });
}

// ---------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------

/** A recording log sink, installed process-wide until disposed. */
export interface RecordedLogs extends AsyncDisposable {
  /** Every record logged so far under the `greeter` category. */
  readonly records: LogRecord[];
}

/** Installs a sink that keeps every record (level `debug` and up); dispose to reset logging. */
export async function recordLogs(): Promise<RecordedLogs> {
  const records: LogRecord[] = [];
  const sink: Sink = (record) => {
    records.push(record);
  };
  const logging = await setupLogging({ sink, level: "debug" });
  return {
    records,
    [Symbol.asyncDispose]: () => logging[Symbol.asyncDispose](),
  };
}

/** A record's message with its values filled in. */
export function renderMessage(record: LogRecord): string {
  return record.message.map((part) => typeof part === "string" ? part : String(part)).join("");
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; throws on timeout. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Pattern names, for table-driven tests over all four RPCs. */
export type Pattern = "unary" | "server stream" | "client stream" | "bidi";

/** Every pattern, in proto order. */
export const PATTERNS: readonly Pattern[] = ["unary", "server stream", "client stream", "bidi"];

/**
 * Runs one call of `pattern` carrying `names` (first name for the single-request
 * patterns) and returns its outcome.
 */
export function callPattern(
  client: GreeterClient,
  pattern: Pattern,
  names: readonly string[],
  options: CallOptions = {},
): Promise<CallResult> {
  switch (pattern) {
    case "unary":
      return unary(client, { name: names[0] }, options);
    case "server stream":
      return serverStream(client, { name: names[0] }, options);
    case "client stream":
      return clientStream(client, names.map((name) => ({ name })), options);
    case "bidi":
      return bidiPingPong(client, names.map((name) => ({ name })), options);
  }
}
