/**
 * A real Greeter server over TLS with auth, on 127.0.0.1 and port 0, and a
 * raw grpc-js client for it. Nothing fakes the transport: every call crosses a
 * TLS connection to a server started in this process.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type { DevPki } from "../../lib/shared/dev_certs.ts";
import { type GreeterClient, loadGreeterProto } from "../../lib/shared/proto.ts";
// Types only: the server module is loaded on first use, so tests that import
// this file for its types never load the server.
import type {
  GreeterServerOptions,
  RunningGreeterServer,
  ServerAuthOptions,
} from "../../lib/server/greeter_server.ts";
import { testPki } from "./pki.ts";
import {
  type MintOptions,
  mintToken,
  randomSecret,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TokenKind,
} from "./tokens.ts";

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
  const { startGreeterServer } = await import("../../lib/server/greeter_server.ts");
  const server = await startGreeterServer({
    ...rest,
    tls: { cert: pki.serverCert, key: pki.serverKey },
    auth: {
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      ...authOverrides,
      // A server given public keys verifies with them alone.
      ...(authOverrides?.keys === undefined ? { secret } : {}),
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

/** A plain grpc-js server (not the Greeter server) and a client for it; dispose to stop both. */
export interface PlainServer extends AsyncDisposable {
  /** The bound port on 127.0.0.1. */
  readonly port: number;
  /** The test CA, for more clients. */
  readonly caCert: string;
  /** A client of the Greeter service on it. */
  readonly client: TestClient;
}

/**
 * A user's own grpc-js server over TLS on port 0, serving the Greeter service
 * with `handlers` behind `interceptors`: what a library user builds around the
 * interceptor chain.
 */
export async function startPlainServer(
  interceptors: grpc.ServerInterceptor[],
  handlers: grpc.UntypedServiceImplementation,
): Promise<PlainServer> {
  const { createServerCredentials } = await import("../../lib/server/credentials.ts");
  const pki = await testPki();
  const server = new grpc.Server({ interceptors });
  server.addService(loadGreeterProto().helloworld.Greeter.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      createServerCredentials({ cert: pki.serverCert, key: pki.serverKey }),
      (error, bound) => error ? reject(error) : resolve(bound),
    )
  );
  const client = createTestClient(port, pki.caCert);
  return {
    port,
    caCert: pki.caCert,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
