/**
 * One call of any RPC kind, chosen by its id: what the harness needs to run
 * the same check against every kind.
 *
 * @module
 */
import type { RpcKind } from "../shared/rpc_kinds.ts";
import type { GreeterCallOptions, GreeterConnection } from "./greeter_client.ts";

/** Options for {@linkcode callKind}: per-call options plus the server stream's length. */
export interface KindCallOptions extends GreeterCallOptions {
  /** Replies asked of a server stream; 0 leaves it to the server (3). @default 0 */
  count?: number;
}

/**
 * Makes one call of `kind` carrying `names` and resolves with the reply
 * messages, in order, or rejects with the call's error.
 *
 * - `unary`, `server-stream`: one request with the first name;
 * - `client-stream`: one request per name, then half-close;
 * - `bidi`: sends every name, half-closes, then reads every reply.
 *
 * @param connection the client to call through
 * @param kind which RPC
 * @param names the names the requests carry
 * @param options deadline, metadata, server-stream length
 * @returns the reply messages
 *
 * @example
 * ```ts
 * for (const kind of RPC_KINDS) console.log(kind, await callKind(client, kind, ["Ada", "Grace"]));
 * ```
 */
export async function callKind(
  connection: GreeterConnection,
  kind: RpcKind,
  names: readonly string[],
  options: KindCallOptions = {},
): Promise<string[]> {
  const { count = 0, ...callOptions } = options;
  switch (kind) {
    case "unary":
      return [(await connection.sayHello({ name: names[0] }, callOptions)).message];
    case "server-stream": {
      const replies: string[] = [];
      for await (const reply of connection.sayHelloStream({ name: names[0], count }, callOptions)) {
        replies.push(reply.message);
      }
      return replies;
    }
    case "client-stream": {
      const requests = names.map((name) => ({ name }));
      return [(await connection.sayHelloClientStream(requests, callOptions)).message];
    }
    case "bidi": {
      const call = connection.sayHelloBidirectional(callOptions);
      try {
        for (const name of names) await call.send({ name });
        call.end();
      } catch {
        // The stream already failed; its status says why.
      }
      const replies: string[] = [];
      for await (const reply of call) replies.push(reply.message);
      return replies;
    }
  }
}
