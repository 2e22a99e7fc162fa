/**
 * The four kinds of Greeter RPC, named once for every layer: the client, the
 * conformance harness (scenario names such as `server-stream-expired-token`),
 * the bench (`--pattern server-stream`, report headings) and the tests.
 *
 * A kind's id is what users type and read in names; its label is the same
 * kind in prose ("a server stream call"); its method is the RPC that has that
 * kind in `protos/greeter.proto`.
 *
 * @module
 */

/**
 * Fully qualified service name, as it appears in method paths. Defined here,
 * with no imports, so command-line tables can name kinds without loading gRPC.
 */
export const GREETER_SERVICE_NAME = "helloworld.Greeter";

/** A kind of RPC, by its id: the name used on command lines, in scenario names and in reports. */
export type RpcKind = "unary" | "server-stream" | "client-stream" | "bidi";

/** The Greeter method of each kind, as named in the proto. */
export type GreeterMethodName =
  | "SayHello"
  | "SayHelloStream"
  | "SayHelloClientStream"
  | "SayHelloBidirectional";

/** What there is to know about one {@linkcode RpcKind}. */
export interface RpcKindInfo {
  /** The id, for example `"server-stream"`. */
  readonly kind: RpcKind;
  /** The kind in prose, for example `"server stream"`. */
  readonly label: string;
  /** The Greeter method of this kind, for example `"SayHelloStream"`. */
  readonly method: GreeterMethodName;
  /** The method's full path, for example `"/helloworld.Greeter/SayHelloStream"`. */
  readonly path: string;
  /** Whether the client sends a stream of requests. */
  readonly requestStream: boolean;
  /** Whether the server sends a stream of replies. */
  readonly responseStream: boolean;
}

function info(
  kind: RpcKind,
  label: string,
  method: GreeterMethodName,
  requestStream: boolean,
  responseStream: boolean,
): RpcKindInfo {
  const path = `/${GREETER_SERVICE_NAME}/${method}`;
  return Object.freeze({ kind, label, method, path, requestStream, responseStream });
}

/**
 * Every kind's {@linkcode RpcKindInfo}, by id.
 *
 * @example
 * ```ts
 * RPC_KIND_INFO["server-stream"].method; // "SayHelloStream"
 * ```
 */
export const RPC_KIND_INFO: Readonly<Record<RpcKind, RpcKindInfo>> = Object.freeze({
  "unary": info("unary", "unary", "SayHello", false, false),
  "server-stream": info("server-stream", "server stream", "SayHelloStream", false, true),
  "client-stream": info("client-stream", "client stream", "SayHelloClientStream", true, false),
  "bidi": info("bidi", "bidi", "SayHelloBidirectional", true, true),
});

/** Every kind, in the order the contract lists them (what `--pattern all` runs). */
export const RPC_KINDS: readonly RpcKind[] = Object.freeze([
  "unary",
  "server-stream",
  "client-stream",
  "bidi",
]);

/** The three kinds with a stream in at least one direction, in contract order. */
export const STREAMING_RPC_KINDS: readonly RpcKind[] = Object.freeze(
  RPC_KINDS.filter((kind) => kind !== "unary"),
);

/**
 * Whether `value` is the id of a kind.
 *
 * @param value any string, for example a command-line value
 * @returns `true` for `"unary"`, `"server-stream"`, `"client-stream"` and `"bidi"`
 */
export function isRpcKind(value: string): value is RpcKind {
  return Object.hasOwn(RPC_KIND_INFO, value);
}

/**
 * The kind named by `value`: its id, or its label (`"server stream"`).
 *
 * @param value an id or a label
 * @returns the kind, or `undefined` when `value` names none
 *
 * @example
 * ```ts
 * parseRpcKind("server stream"); // "server-stream"
 * parseRpcKind("stream"); // undefined
 * ```
 */
export function parseRpcKind(value: string): RpcKind | undefined {
  if (isRpcKind(value)) return value;
  return RPC_KINDS.find((kind) => RPC_KIND_INFO[kind].label === value);
}
