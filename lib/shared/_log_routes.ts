/**
 * Where a record logged through a logger at a level goes, learned once per
 * logtape configuration, so that hot-path records (`log_template.ts`) reach
 * their sinks without logtape's dispatch.
 *
 * `logger.emit` checks, for every record, the context storage, the
 * category prefix, the filters of the logger and each of its parents and
 * whether the cached sink list of each of them is still current: about
 * 0.9 µs of a call line in the server's CPU profile, all to reach the same
 * sink. Here the first record of a (logger, level) goes through `logger.emit`
 * as usual, and the direct sinks that receive it are remembered; later
 * records go straight to them. That gives the same result as long as:
 * - the configuration is the same object (`getConfig()`; `configure` and
 *   `reset` replace it), so the loggers' levels and sinks are those seen;
 * - it has no context-local storage (no scoped configuration or category
 *   prefix can apply) and no filters;
 * - every configured sink is a direct sink ({@linkcode markDirectSink}):
 *   one that needs no snapshot of the record and never throws, so logtape's
 *   copy and its error report would do nothing; sinks logtape adds on its own
 *   are only on its `logtape.meta` loggers, which never take this path;
 * - the logger is the plain one `getLogger` returns (a logger from `with()`
 *   adds properties on the way).
 * Otherwise every record goes through `logger.emit`.
 *
 * @module
 */
import {
  getConfig,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";

const directSinks = new WeakSet<Sink>();

/**
 * Marks `sink` as safe to call without logtape's dispatch: it reads the
 * record only while it is called (logtape's snapshot is not needed) and
 * never throws. It must call {@linkcode observeRecord} with each record.
 *
 * @param sink the sink
 *
 * @example
 * ```ts
 * const sink = (record: LogRecord) => observeRecord(sink, record);
 * markDirectSink(sink);
 * ```
 */
export function markDirectSink(sink: Sink): void {
  directSinks.add(sink);
}

/** The record being followed through `logger.emit`, and the direct sinks it reached. */
let learning: { record: LogRecord; sinks: Sink[] } | undefined;

/**
 * Tells the route learner that `sink` received `record`; called by every
 * direct sink for every record (one comparison when nothing is learned).
 *
 * @param sink the direct sink
 * @param record the record it received
 *
 * @example
 * ```ts
 * const sink = (record: LogRecord) => observeRecord(sink, record);
 * ```
 */
export function observeRecord(sink: Sink, record: LogRecord): void {
  if (learning !== undefined && learning.record === record) learning.sinks.push(sink);
}

/** The configuration the routes were learned under (a fresh object never equals it). */
let routesConfig: unknown = {};
let routable = false;
let routes = new WeakMap<Logger, Partial<Record<LogLevel, readonly Sink[]>>>();

function isRoutable(config: ReturnType<typeof getConfig>): boolean {
  if (config === null || config.contextLocalStorage !== undefined) return false;
  if (config.loggers.some((logger) => (logger.filters?.length ?? 0) > 0)) return false;
  return Object.values(config.sinks).every((sink) => directSinks.has(sink as Sink));
}

/**
 * The sinks a record of `level` logged through `logger` goes to, when they
 * are known and direct: an empty list when the record would be dropped;
 * `undefined` when it must go through {@linkcode emitAndLearn}.
 *
 * @param logger the logger
 * @param level the record's level
 * @returns the route, or `undefined`
 *
 * @example
 * ```ts
 * const route = routeOf(logger, "info");
 * if (route !== undefined) for (const sink of route) sink(record);
 * else emitAndLearn(logger, "info", record);
 * ```
 */
export function routeOf(logger: Logger, level: LogLevel): readonly Sink[] | undefined {
  const config = getConfig();
  if (config !== routesConfig) {
    routesConfig = config;
    routable = isRoutable(config);
    routes = new WeakMap();
  }
  return routable ? routes.get(logger)?.[level] : undefined;
}

/**
 * Whether a record of `level` through `logger` is logged at all, learning
 * the empty route when it is not (call after {@linkcode routeOf} said
 * `undefined`).
 *
 * @param logger the logger
 * @param level the level
 * @returns `logger.isEnabledFor(level)`
 *
 * @example
 * ```ts
 * if (!isEnabledAndLearn(logger, "debug")) return;
 * ```
 */
export function isEnabledAndLearn(logger: Logger, level: LogLevel): boolean {
  if (logger.isEnabledFor(level)) return true;
  if (routable && isPlain(logger)) remember(logger, level, []);
  return false;
}

/**
 * `logger.emit(record)`, remembering which direct sinks received it when the
 * route can be learned (call after {@linkcode routeOf} said `undefined`).
 *
 * @param logger the logger
 * @param level the record's level
 * @param record the record
 *
 * @example
 * ```ts
 * emitAndLearn(logger, "info", record);
 * ```
 */
export function emitAndLearn(logger: Logger, level: LogLevel, record: LogRecord): void {
  if (!routable || !isPlain(logger) || learning !== undefined) return logger.emit(record);
  const seen = { record, sinks: [] as Sink[] };
  learning = seen;
  try {
    logger.emit(record);
  } finally {
    learning = undefined;
  }
  remember(logger, level, seen.sinks);
}

function isPlain(logger: Logger): boolean {
  return logger.category[0] !== "logtape" && getLogger(logger.category) === logger;
}

function remember(logger: Logger, level: LogLevel, sinks: readonly Sink[]): void {
  let byLevel = routes.get(logger);
  if (byLevel === undefined) routes.set(logger, byLevel = {});
  byLevel[level] = sinks;
}
