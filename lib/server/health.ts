/**
 * The standard `grpc.health.v1.Health` service (`Check` and `Watch`), with
 * what a shutdown needs from it: every service turns `NOT_SERVING` at once
 * (open `Watch` streams are told), and once the server stops accepting, open
 * `Watch` streams are ended, so that they do not hold the drain until its
 * timeout (`grpc-health-check`'s implementation keeps them open for good).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { healthServiceDefinition, type ServingStatus } from "../client/health_client.ts";

/** Status sent to open `Watch` streams when the server stops accepting. */
export const WATCH_ENDED_STATUS: Readonly<grpc.StatusObject> = Object.freeze({
  code: grpc.status.UNAVAILABLE,
  details: "server is shutting down",
  metadata: new grpc.Metadata(),
});

type HealthRequest = { service: string };
type HealthReply = { status: ServingStatus };
type WatchCall = grpc.ServerWritableStream<HealthRequest, HealthReply>;

/** The health service of one server. */
export interface HealthService {
  /** True until {@linkcode HealthService.stopServing} is called. */
  readonly serving: boolean;
  /** Open `Watch` streams. */
  readonly watchers: number;
  /** Reports `NOT_SERVING` for every service, to `Check` and to open `Watch` streams. */
  stopServing(): void;
  /**
   * Ends every open `Watch` stream with {@linkcode WATCH_ENDED_STATUS}, after
   * its last status; a `Watch` started later gets its status and ends at once.
   */
  endWatches(): void;
}

/**
 * Adds `grpc.health.v1.Health` to `server`, reporting `SERVING` for the server
 * as a whole (`""`) and for each of `services`; other names get `NOT_FOUND`
 * from `Check` and `SERVICE_UNKNOWN` from `Watch`, as the protocol asks.
 *
 * @param server the grpc-js server to add the service to
 * @param services fully qualified names of the services served
 * @returns the handle a shutdown uses
 */
export function addHealthService(
  server: grpc.Server,
  services: readonly string[],
): HealthService {
  const known = new Set(["", ...services]);
  const watchers = new Set<WatchCall>();
  let serving = true;
  let ended = false;
  const statusOf = (service: string): ServingStatus =>
    known.has(service) ? (serving ? "SERVING" : "NOT_SERVING") : "SERVICE_UNKNOWN";
  const end = (call: WatchCall) => {
    watchers.delete(call);
    call.emit("error", WATCH_ENDED_STATUS);
  };

  server.addService(healthServiceDefinition(), {
    Check(
      call: grpc.ServerUnaryCall<HealthRequest, HealthReply>,
      callback: grpc.sendUnaryData<HealthReply>,
    ) {
      const { service } = call.request;
      if (known.has(service)) callback(null, { status: statusOf(service) });
      else callback({ code: grpc.status.NOT_FOUND, details: "unknown service" });
    },
    Watch(call: WatchCall) {
      call.write({ status: statusOf(call.request.service) });
      if (ended) return end(call);
      watchers.add(call);
      call.once("cancelled", () => watchers.delete(call));
    },
  } as grpc.UntypedServiceImplementation);

  return {
    get serving() {
      return serving;
    },
    get watchers() {
      return watchers.size;
    },
    stopServing() {
      if (!serving) return;
      serving = false;
      for (const call of watchers) call.write({ status: statusOf(call.request.service) });
    },
    endWatches() {
      ended = true;
      for (const call of [...watchers]) end(call);
    },
  };
}
