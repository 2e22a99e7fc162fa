/**
 * The example service (`examples/greeter_service.ts`), built only on the
 * library entry, as a user runs it: a subprocess started like
 * `deno task example` on port 0 over TLS, judged by the conformance harness.
 *
 * Every scenario group runs except `health`: the health service is the
 * Greeter server's own extra, and the example serves only
 * `helloworld.Greeter`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { allScenarios, createScenarioContext, runScenarios } from "@greeter/deno-grpc/harness";
import { createTokenProvider, mintingTokenSource } from "@greeter/deno-grpc";
import { testPki } from "../_helpers/pki.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SECRET = "example-test-secret-".repeat(3);
const ISSUER = "example-issuer";
const AUDIENCE = "example.Greeter";
/** Groups the example is judged on: all but the server's own health service. */
const GROUPS = ["patterns", "auth", "validation", "limits", "lifecycle", "tls", "expiry"];

/** Starts the example the way `deno task example` does, plus read access to the temp certificates. */
async function startExample() {
  const pki = await testPki();
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/server.pem`, pki.serverCert);
  await Deno.writeTextFile(`${dir}/server.key.pem`, pki.serverKey);
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const task: string = config.tasks.example;
  assert.equal(task, "deno run -q -P=example examples/greeter_service.ts");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=example", `--allow-read=${ROOT},${dir}`, "examples/greeter_service.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      GREETER_HOST: "127.0.0.1",
      GREETER_PORT: "0",
      GREETER_TLS_CERT: `${dir}/server.pem`,
      GREETER_TLS_KEY: `${dir}/server.key.pem`,
      GREETER_JWT_SECRET: SECRET,
      GREETER_JWT_ISSUER: ISSUER,
      GREETER_JWT_AUDIENCE: AUDIENCE,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  let match: RegExpExecArray | null = null;
  while (match === null) {
    const { value, done } = await stdout.read();
    if (done) {
      throw new Error(`example exited before listening: ${printed}\n${await stderr}`);
    }
    printed += value;
    match = /Greeter example listening on 127\.0\.0\.1:(\d+)/.exec(printed);
  }
  return {
    pki,
    port: Number(match[1]),
    /** Stops the example with SIGTERM; resolves to its exit code and stderr. */
    async stop() {
      child.kill("SIGTERM");
      const [{ code }, log] = await Promise.all([child.status, stderr, stdout.cancel()]);
      await Deno.remove(dir, { recursive: true });
      return { code, log };
    },
  };
}

Deno.test("the example service, built only on the library entry, passes the conformance harness", async (t) => {
  const example = await startExample();
  let stopped: { code: number; log: string } | undefined;
  try {
    const secret = new TextEncoder().encode(SECRET);
    await using ctx = createScenarioContext({
      target: `localhost:${example.port}`,
      tls: { ca: example.pki.caCert },
      tokenProvider: createTokenProvider({
        source: mintingTokenSource({ secret, issuer: ISSUER, audience: AUDIENCE }),
      }),
      secret,
      issuer: ISSUER,
      audience: AUDIENCE,
      // The example keeps the default 5 s clock tolerance: the expiry scenario waits it out.
      timings: { shortDeadlineMs: 200, replyTimeoutMs: 1000, expiryTtlSeconds: 2 },
    });
    const scenarios = allScenarios().filter((s) => GROUPS.includes(s.group));
    const report = await runScenarios(scenarios, ctx);
    for (const group of GROUPS) {
      await t.step(`every ${group} scenario passes`, () => {
        const results = report.results.filter((r) => r.group === group);
        assert.ok(results.length > 0, `no ${group} scenarios ran`);
        assert.deepEqual(
          results.filter((r) => r.verdict !== "PASS").map((r) =>
            `${r.name}: ${r.verdict} got ${r.got} (${r.detail ?? ""})`
          ),
          [],
        );
      });
    }
  } finally {
    stopped = await example.stop();
  }
  await t.step("it stops on SIGTERM with exit code 0", () => {
    assert.equal(stopped.code, 0, stopped.log);
  });
  await t.step("its log has one line per call with the caller's subject, and no token", () => {
    assert.match(stopped.log, /\/helloworld\.Greeter\/SayHello OK in .* sub=greeter-conformance/);
    assert.match(stopped.log, /UNAUTHENTICATED .* details=missing bearer token/);
    assert.doesNotMatch(stopped.log, /eyJ|Bearer [A-Za-z0-9]/);
  });
});
