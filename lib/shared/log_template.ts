/**
 * Message templates parsed once, for log records built on a hot path.
 *
 * `logger.info(template, properties)` makes logtape parse the template on
 * every call, wrap the record in getters, copy the properties twice (resolve,
 * then snapshot for the sink) and look up the category prefix: about half of
 * a call line's cost in the server (see BENCHMARKS.md). A
 * {@linkcode LogTemplate} splits the template when it is built and emits a
 * finished record through `logger.emit`, which the same filters and sinks
 * receive; once the sinks a (logger, level) reaches are known and are this
 * project's batching sinks, straight to them (`_log_routes.ts`). The record
 * equals the one `logger.info` would build (same message parts, properties,
 * category and level), so every formatter writes the same line;
 * `tests/shared/log_template_test.ts` proves it against logtape.
 *
 * @module
 */
import type { Logger, LogLevel, LogRecord } from "@logtape/logtape";
import { emitAndLearn, isEnabledAndLearn, routeOf } from "./_log_routes.ts";

/** A template split into literal text and property names, ready to emit. */
export interface LogTemplate<P extends Record<string, unknown>> {
  /** The template as written, e.g. `"{method} {status}"` (the record's `rawMessage`). */
  readonly template: string;
  /**
   * logtape's message parts for `properties`: literal text at even indexes,
   * property values at odd ones, as `parseMessageTemplate` returns them.
   */
  message(properties: P): unknown[];
  /**
   * Emits one record at `level` through `logger`, unless the level is
   * filtered out there (then nothing is built).
   *
   * @param logger where the record goes (its category is the record's)
   * @param level the record's level
   * @param properties the template's values and any further fields
   */
  emit(logger: Logger, level: LogLevel, properties: P): void;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const SIMPLE_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Parses `template` once. Only plain `{name}` placeholders are accepted (no
 * `{{` escapes, `{*}`, paths or spaces), so that splitting here gives exactly
 * what logtape's parser gives for every call.
 *
 * @param template a logtape message template
 * @returns the compiled template
 * @throws {TypeError} when the template uses more than plain placeholders
 *
 * @example
 * ```ts
 * const line = compileLogTemplate<{ method: string }>("call {method}");
 * line.emit(logger, "info", { method: "/helloworld.Greeter/SayHello" });
 * ```
 */
export function compileLogTemplate<P extends Record<string, unknown>>(
  template: string,
): LogTemplate<P> {
  const literals: string[] = [];
  const names: string[] = [];
  let start = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (!SIMPLE_NAME.test(match[1])) {
      throw new TypeError(`log template placeholder {${match[1]}} is not a plain name`);
    }
    literals.push(template.slice(start, match.index));
    names.push(match[1]);
    start = match.index + match[0].length;
  }
  literals.push(template.slice(start));
  if (literals.some((text) => text.includes("{") || text.includes("}"))) {
    throw new TypeError(`log template has a brace outside a plain placeholder: ${template}`);
  }

  const message = (properties: P): unknown[] => {
    const parts = new Array<unknown>(literals.length + names.length);
    for (let i = 0; i < names.length; i++) {
      parts[2 * i] = literals[i];
      parts[2 * i + 1] = properties[names[i]];
    }
    parts[2 * names.length] = literals[names.length];
    return parts;
  };

  return {
    template,
    message,
    emit(logger, level, properties) {
      // Records go straight to their sinks once the route is known (`_log_routes.ts`).
      const route = routeOf(logger, level);
      if (route === undefined ? !isEnabledAndLearn(logger, level) : route.length === 0) return;
      const record: LogRecord = {
        category: logger.category,
        level,
        message: message(properties),
        rawMessage: template,
        timestamp: Date.now(),
        properties,
      };
      if (route === undefined) emitAndLearn(logger, level, record);
      else for (const sink of route) sink(record);
    },
  };
}

/**
 * `logger.isEnabledFor(level)`, answered from the route a compiled template
 * learned (`_log_routes.ts`) when there is one: a hot path that must decide
 * before it builds its properties (the logging interceptor) then skips
 * logtape's walk up the logger's parents. Same answer either way.
 *
 * @param logger the logger
 * @param level the level
 * @returns whether a record of `level` through `logger` reaches a sink or filter
 *
 * @example
 * ```ts
 * if (isLogged(logger, "info")) OK_LINE.emit(logger, "info", fieldsOf(call));
 * ```
 */
export function isLogged(logger: Logger, level: LogLevel): boolean {
  const route = routeOf(logger, level);
  return route === undefined ? isEnabledAndLearn(logger, level) : route.length > 0;
}
