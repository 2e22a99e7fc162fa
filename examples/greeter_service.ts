/**
 * A Greeter service written the way a user of this library would write one:
 * its own proto loading, its own handlers and validation, its own
 * `grpc.Server`, and only the library entry (`@greeter/deno-grpc`) for TLS,
 * JWT auth and call logging.
 *
 * `deno task example` starts it. Settings come from the environment:
 * `GREETER_TLS_CERT` and `GREETER_TLS_KEY` (PEM files) and
 * `GREETER_JWT_SECRET` (at least 32 bytes) are required;
 * `GREETER_HOST` (127.0.0.1), `GREETER_PORT` (50051; 0 picks a free one),
 * `GREETER_JWT_ISSUER` (greeter) and `GREETER_JWT_AUDIENCE`
 * (helloworld.Greeter) are optional. Once listening it prints
 * `Greeter example listening on <host>:<port>` on stdout; SIGINT or SIGTERM
 * stops it.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import {
  callContext,
  createInterceptorChain,
  createServerCredentials,
  setupLogging,
} from "@greeter/deno-grpc";

interface HelloRequest {
  name: string;
  count: number;
}
interface HelloReply {
  message: string;
}

/** A request the caller got wrong: answered with `INVALID_ARGUMENT`. */
class InvalidArgument extends Error {}

function validName(name: string): string {
  if (name.trim() === "") throw new InvalidArgument("name must not be empty or blank");
  if ([...name].length > 256) throw new InvalidArgument("name must be at most 256 characters");
  return name;
}

function validCount(count: number): number {
  if (count < 0 || count > 100) throw new InvalidArgument("count must be between 0 and 100");
  return count === 0 ? 3 : count;
}

/**
 * The error boundary: a caller's mistake keeps its message; anything else is
 * logged here with the call's request id and answered with a generic
 * `INTERNAL`.
 */
function toStatus(error: unknown, call: { metadata: grpc.Metadata }): Partial<grpc.ServiceError> {
  if (error instanceof InvalidArgument) {
    return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  }
  const { requestId } = callContext(call);
  console.error(`request ${requestId} failed:`, error);
  return { code: grpc.status.INTERNAL, details: `internal error (request id ${requestId})` };
}

/** Greets `name`, adding who asked: the verified token's subject. */
function greet(name: string, call: { metadata: grpc.Metadata }): string {
  const { claims } = callContext(call);
  return `Hello, ${name}! (from ${claims?.sub ?? "anonymous"})`;
}

const handlers: grpc.UntypedServiceImplementation = {
  SayHello(
    call: grpc.ServerUnaryCall<HelloRequest, HelloReply>,
    callback: grpc.sendUnaryData<HelloReply>,
  ) {
    try {
      callback(null, { message: greet(validName(call.request.name), call) });
    } catch (error) {
      callback(toStatus(error, call));
    }
  },

  SayHelloStream(call: grpc.ServerWritableStream<HelloRequest, HelloReply>) {
    try {
      const name = validName(call.request.name);
      const count = validCount(call.request.count);
      for (let i = 1; i <= count && !call.cancelled; i++) {
        call.write({ message: `${greet(name, call)} (${i}/${count})` });
      }
      call.end();
    } catch (error) {
      call.emit("error", toStatus(error, call));
    }
  },

  SayHelloClientStream(
    call: grpc.ServerReadableStream<HelloRequest, HelloReply>,
    callback: grpc.sendUnaryData<HelloReply>,
  ) {
    const names: string[] = [];
    let failed = false;
    call.on("data", (request: HelloRequest) => {
      if (failed) return;
      try {
        names.push(validName(request.name));
      } catch (error) {
        // The first invalid message ends the call.
        failed = true;
        callback(toStatus(error, call));
      }
    });
    call.on("end", () => {
      if (!failed) callback(null, { message: greet(names.join(", "), call) });
    });
  },

  SayHelloBidirectional(call: grpc.ServerDuplexStream<HelloRequest, HelloReply>) {
    let failed = false;
    call.on("data", (request: HelloRequest) => {
      if (failed) return;
      try {
        call.write({ message: greet(validName(request.name), call) });
      } catch (error) {
        failed = true;
        call.emit("error", toStatus(error, call));
      }
    });
    call.on("end", () => {
      if (!failed) call.end();
    });
  },
};

/** One line naming the setting, exit code 2: a configuration mistake, not a crash. */
function fail(message: string): never {
  console.error(`greeter example: ${message}`);
  Deno.exit(2);
}

function setting(name: string, fallback?: string): string {
  const value = Deno.env.get(name) ?? fallback;
  if (value === undefined || value === "") fail(`${name} is required`);
  return value;
}

function readPem(variable: string): string {
  const path = setting(variable);
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    fail(`${variable}: cannot read ${path} (${(error as Error).message})`);
  }
}

async function main(): Promise<void> {
  const host = setting("GREETER_HOST", "127.0.0.1");
  const port = Number(setting("GREETER_PORT", "50051"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`GREETER_PORT must be a port number (0-65535), got ${Deno.env.get("GREETER_PORT")}`);
  }
  const cert = readPem("GREETER_TLS_CERT");
  const key = readPem("GREETER_TLS_KEY");
  const secret = new TextEncoder().encode(setting("GREETER_JWT_SECRET"));

  let interceptors: grpc.ServerInterceptor[];
  let credentials: grpc.ServerCredentials;
  try {
    interceptors = createInterceptorChain({
      auth: {
        secret,
        issuer: setting("GREETER_JWT_ISSUER", "greeter"),
        audience: setting("GREETER_JWT_AUDIENCE", "helloworld.Greeter"),
      },
    });
    credentials = createServerCredentials({ cert, key });
  } catch (error) {
    fail((error as Error).message);
  }

  await using _logging = await setupLogging();
  const definition = protoLoader.loadSync(
    fileURLToPath(new URL("../protos/greeter.proto", import.meta.url)),
    { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  );
  const proto = grpc.loadPackageDefinition(definition) as unknown as {
    helloworld: { Greeter: grpc.ServiceClientConstructor };
  };
  const server = new grpc.Server({ interceptors });
  server.addService(proto.helloworld.Greeter.service, handlers);

  const bindHost = host.includes(":") ? `[${host}]` : host;
  const bound = await new Promise<number>((resolve) =>
    server.bindAsync(`${bindHost}:${port}`, credentials, (error, p) => {
      if (error) fail(`cannot listen on ${bindHost}:${port}: ${error.message}`);
      resolve(p);
    })
  );
  console.log(`Greeter example listening on ${bindHost}:${bound}`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), 5000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

if (import.meta.main) await main();
