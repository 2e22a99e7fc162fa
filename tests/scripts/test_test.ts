import assert from "node:assert/strict";
import { testEnv } from "../../scripts/test.ts";

Deno.test("deno task test runs the tests without the caller's GREETER_* and GRPC_* settings", () => {
  const env = testEnv({
    PATH: "/usr/bin",
    HOME: "/root",
    CI: "true",
    GREETER_JWT_SECRET: "s".repeat(40),
    GREETER_JWT_ISSUER: "someone-else",
    GREETER_ADMIN_PORT: "9464",
    GRPC_TRACE: "all",
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: "/somewhere/else.pem",
    grpc_verbosity: "DEBUG",
    GREETER_REQUIRE_NGINX: "1",
    GREETER_NGINX: "/opt/nginx",
  });
  assert.deepEqual(env, {
    PATH: "/usr/bin",
    HOME: "/root",
    CI: "true",
    GREETER_REQUIRE_NGINX: "1",
    GREETER_NGINX: "/opt/nginx",
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: "/etc/ssl/certs/ca-certificates.crt",
  });
});
