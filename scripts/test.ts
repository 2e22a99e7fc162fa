/**
 * `deno task test`: `deno test -P` in a clean environment. A user who followed
 * the configuration section has `GREETER_JWT_SECRET`, `GREETER_JWT_ISSUER`,
 * `GREETER_ADMIN_PORT`... exported, and grpc-js reads `GRPC_*` (tracing,
 * root certificates) on load; the tests start servers and clients of their
 * own and must not pick those up. So the caller's `GREETER_*` and `GRPC_*`
 * variables are removed, except the knobs meant for the tests themselves
 * ({@linkcode TEST_KNOBS}). Arguments go to `deno test` (`deno task test
 * tests/main_test.ts`). A signal is passed on to the test run.
 *
 * @module
 */

/** Variables under `GREETER_` that configure the tests, not the server, and are kept. */
export const TEST_KNOBS: readonly string[] = [
  "GREETER_REQUIRE_NGINX",
  "GREETER_NGINX",
  "GREETER_REQUIRE_HAPROXY",
  "GREETER_HAPROXY",
];

/**
 * Set for every run, whatever the caller has: the TLS trap test
 * (`tests/server/interop_test.ts`) proves the server immune to grpc-js's
 * default roots, so the trap must be armed (the system bundle, as many
 * machines set it).
 */
export const TEST_SETTINGS: Readonly<Record<string, string>> = {
  GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: "/etc/ssl/certs/ca-certificates.crt",
};

/**
 * The environment the test run gets: `env` without `GREETER_*` and `GRPC_*`
 * (any case), except {@linkcode TEST_KNOBS}, plus {@linkcode TEST_SETTINGS}.
 */
export function testEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(env).filter(([name]) =>
        TEST_KNOBS.includes(name) || !/^(GREETER|GRPC)_/i.test(name)
      ),
    ),
    ...TEST_SETTINGS,
  };
}

if (import.meta.main) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-P", ...Deno.args],
    clearEnv: true,
    env: testEnv(Deno.env.toObject()),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill(signal));
  }
  const { code } = await child.status;
  Deno.exit(code);
}
