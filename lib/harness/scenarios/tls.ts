/**
 * Transport security: the configured CA is accepted, a CA that did not sign
 * the server's certificate is refused, and a plaintext client cannot talk to
 * the TLS port. Nothing here falls back to plaintext.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { generateDevPki } from "../../shared/dev_certs.ts";
import { expectStatus, outcomeOfError } from "./_calls.ts";
import type { Scenario } from "./scenario.ts";

/** Probes fail fast: one attempt, no retries of UNAVAILABLE. */
const NO_RETRY = { retry: { maxAttempts: 1 } } as const;

/** The TLS scenarios. */
export function tlsScenarios(): Scenario[] {
  return [
    {
      name: "tls-configured-ca-accepted",
      group: "tls",
      expected: "handshake succeeds (OK with a token, else UNAUTHENTICATED)",
      needs: ["tls"],
      async run(ctx) {
        // With a token the call must succeed; without, UNAUTHENTICATED still proves the
        // server answered over the verified channel.
        if (ctx.client !== null) {
          return await expectStatus("OK", () => ctx.client!.sayHello({ name: "Ada" }));
        }
        return await expectStatus("UNAUTHENTICATED", () => ctx.bare.sayHello({ name: "Ada" }));
      },
    },
    {
      name: "tls-unknown-ca-refused",
      group: "tls",
      expected: "UNAVAILABLE",
      needs: ["tls"],
      async run(ctx) {
        const other = await generateDevPki({ hosts: ["localhost", "127.0.0.1", "::1"] });
        const connection = ctx.connect({ tls: { ...ctx.tls!, ca: other.caCert }, ...NO_RETRY });
        return await expectStatus("UNAVAILABLE", () => connection.sayHello({ name: "Ada" }));
      },
    },
    {
      name: "plaintext-client-to-tls-port-refused",
      group: "tls",
      expected: "UNAVAILABLE",
      needs: ["tls"],
      async run(ctx) {
        const connection = ctx.connect({ tls: null, tokenProvider: null, ...NO_RETRY });
        try {
          await connection.sayHello({ name: "Ada" }, { metadata: new grpc.Metadata() });
          return { got: "OK", pass: false, detail: "the TLS port answered a plaintext client" };
        } catch (error) {
          return outcomeOfError("UNAVAILABLE", error);
        }
      },
    },
  ];
}
