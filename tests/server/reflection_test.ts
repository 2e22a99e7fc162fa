/**
 * Server reflection on a real Greeter server over TLS, both protocol versions,
 * in each mode the operator can choose.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import type { ReflectionMode } from "../../lib/server/greeter_server.ts";
import { startTestServer } from "../_helpers/test_server.ts";
import { bearer } from "../_helpers/tokens.ts";

/** A reflection client of `version`, from the `.proto` that `@grpc/reflection` ships. */
function reflectionClient(version: "v1" | "v1alpha", port: number, ca: string) {
  const proto = fileURLToPath(
    new URL(
      `../../node_modules/@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`,
      import.meta.url,
    ),
  );
  const definition = protoLoader.loadSync(proto, { keepCase: true, defaults: true, oneofs: true });
  // deno-lint-ignore no-explicit-any
  const reflection = (grpc.loadPackageDefinition(definition) as any).grpc.reflection[version];
  return new reflection.ServerReflection(
    `localhost:${port}`,
    grpc.credentials.createSsl(Buffer.from(ca)),
  ) as grpc.Client & {
    ServerReflectionInfo(metadata: grpc.Metadata): grpc.ClientDuplexStream<unknown, unknown>;
  };
}

interface ReflectionOutcome {
  code: grpc.status;
  services: string[];
  greeterFileFound: boolean;
}

/** Lists the services and asks for the file defining `helloworld.Greeter`. */
function ask(
  client: ReturnType<typeof reflectionClient>,
  metadata = new grpc.Metadata(),
): Promise<ReflectionOutcome> {
  const outcome: ReflectionOutcome = {
    code: grpc.status.UNKNOWN,
    services: [],
    greeterFileFound: false,
  };
  const call = client.ServerReflectionInfo(metadata);
  // deno-lint-ignore no-explicit-any
  call.on("data", (response: any) => {
    for (const service of response.list_services_response?.service ?? []) {
      outcome.services.push(service.name);
    }
    if ((response.file_descriptor_response?.file_descriptor_proto ?? []).length > 0) {
      outcome.greeterFileFound = true;
    }
  });
  call.on("error", () => {});
  const done = new Promise<ReflectionOutcome>((resolve) =>
    call.on("status", (status: grpc.StatusObject) => {
      outcome.code = status.code;
      resolve(outcome);
    })
  );
  call.write({ list_services: "" });
  call.write({ file_containing_symbol: "helloworld.Greeter" });
  call.end();
  return done;
}

const cases: {
  mode: ReflectionMode | undefined;
  token: boolean;
  code: grpc.status;
  what: string;
}[] = [
  {
    mode: undefined,
    token: false,
    code: grpc.status.OK,
    what: "answers without a token by default",
  },
  {
    mode: "authenticated",
    token: false,
    code: grpc.status.UNAUTHENTICATED,
    what: "refuses a caller without a token when it must be authenticated",
  },
  {
    mode: "authenticated",
    token: true,
    code: grpc.status.OK,
    what: "answers a caller with a token when it must be authenticated",
  },
  { mode: "off", token: true, code: grpc.status.UNIMPLEMENTED, what: "is absent when turned off" },
];

for (const version of ["v1", "v1alpha"] as const) {
  for (const { mode, token, code, what } of cases) {
    Deno.test(`reflection ${version} ${what}`, async () => {
      await using server = await startTestServer({ reflection: mode });
      const client = reflectionClient(version, server.port, server.pki.caCert);
      try {
        const outcome = await ask(client, token ? bearer(await server.token()) : undefined);
        assert.equal(outcome.code, code, grpc.status[outcome.code]);
        if (code === grpc.status.OK) {
          assert.deepEqual(outcome.services.sort(), [
            "grpc.health.v1.Health",
            "helloworld.Greeter",
          ]);
          assert.ok(outcome.greeterFileFound, "the Greeter's file descriptor comes back");
        }
      } finally {
        client.close();
      }
    });
  }
}
