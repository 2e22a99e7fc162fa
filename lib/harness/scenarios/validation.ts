/**
 * Request validation: a blank, empty or over-long name must be refused with
 * `INVALID_ARGUMENT` on every RPC kind, not turned into `INTERNAL` or a
 * greeting.
 *
 * On the streaming-in kinds the bad name comes first and a good one
 * follows, so a server that mishandles only the last message is not
 * mistaken for one that validates nothing.
 *
 * @module
 */
import { MAX_NAME_CHARS } from "../../shared/defaults.ts";
import { RPC_KINDS } from "../../shared/rpc_kinds.ts";
import { callKind } from "../../client/call_kind.ts";
import { expectStatus } from "./_calls.ts";
import type { Scenario } from "./scenario.ts";

const BAD_NAMES: readonly { kind: string; name: string }[] = [
  { kind: "blank-name", name: " \t " },
  { kind: "empty-name", name: "" },
  { kind: "overlong-name", name: "x".repeat(MAX_NAME_CHARS + 1) },
];

/** `<rpc kind>-<bad name>` for each RPC kind and bad name: 12 scenarios. */
export function validationScenarios(): Scenario[] {
  return RPC_KINDS.flatMap((rpcKind) =>
    BAD_NAMES.map(({ kind, name }): Scenario => ({
      name: `${rpcKind}-${kind}`,
      group: "validation",
      expected: "INVALID_ARGUMENT",
      needs: ["token"],
      run: (ctx) =>
        expectStatus("INVALID_ARGUMENT", () =>
          callKind(ctx.client!, rpcKind, [name, "Ada"], { count: 2 })),
    }))
  );
}
