/**
 * Reads a `greeter-bench/1` JSON document back, checking its schema and the
 * type of every field the text report and the comparison use.
 *
 * @module
 */
import { BENCH_SCHEMA, type BenchJson, BenchJsonError } from "./bench_schema.ts";

/**
 * Reads a bench JSON document, checking its schema and the type of every
 * field the report and comparison use. Unknown extra fields are ignored.
 *
 * @param text the file's contents
 * @param source a name for the text in error messages, such as its path
 * @returns the document
 * @throws {BenchJsonError} naming the source and the first problem found
 *
 * @example
 * ```ts
 * const before = parseBenchJson(await Deno.readTextFile("a.json"), "a.json");
 * ```
 */
export function parseBenchJson(text: string, source = "bench JSON"): BenchJson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BenchJsonError(`${source}: not valid JSON (${reason})`);
  }
  if (!isRecord(data)) {
    throw new BenchJsonError(`${source}: expected a JSON object, got ${kindOf(data)}`);
  }
  if (data.schema === undefined) {
    throw new BenchJsonError(
      `${source}: not a greeter bench file (no "schema" field; expected "${BENCH_SCHEMA}")`,
    );
  }
  if (data.schema !== BENCH_SCHEMA) {
    throw new BenchJsonError(
      `${source}: unsupported schema ${
        JSON.stringify(data.schema)
      } (this version reads "${BENCH_SCHEMA}")`,
    );
  }
  const check = new Checker(source);
  const meta = check.record(data, "", "meta");
  check.string(meta, "meta", "target");
  check.number(meta, "meta", "concurrency");
  for (const key of ["channels", "durationMs", "totalCalls", "ratePerSecond", "warmupCalls"]) {
    check.number(meta, "meta", key, true);
  }
  check.number(meta, "meta", "warmupMs", true);
  check.string(meta, "meta", "date");
  check.string(meta, "meta", "denoVersion");
  check.string(meta, "meta", "gitCommit", true);
  const patterns = check.record(data, "", "patterns");
  for (const name of Object.keys(patterns)) {
    const p = check.record(patterns, "patterns", name);
    const at = `patterns.${name}`;
    for (const key of PATTERN_NUMBERS) check.number(p, at, key);
    // Counted since requests were: optional, so older documents still compare.
    for (const key of ["requests", "requestsPerSecond"]) {
      if (p[key] !== undefined) check.number(p, at, key);
    }
    for (const key of ["latencyMs", "serviceTimeMs", "firstMessageMs"]) {
      const summary = check.record(p, at, key, true);
      if (summary === null) continue;
      for (const figure of ["min", "mean", "p50", "p90", "p99", "p999", "max"]) {
        check.number(summary, `${at}.${key}`, figure);
      }
    }
    const statuses = check.record(p, at, "statuses");
    for (const status of Object.keys(statuses)) check.number(statuses, `${at}.statuses`, status);
    check.array(p, at, "errors").forEach((_, i) => {
      const entry = check.record(p.errors as Record<string, unknown>, `${at}.errors`, String(i));
      check.string(entry, `${at}.errors[${i}]`, "status");
      check.string(entry, `${at}.errors[${i}]`, "message");
      check.number(entry, `${at}.errors[${i}]`, "count");
    });
    check.number(p, at, "targetRatePerSecond", true);
    const lag = check.record(p, at, "scheduleLagMs", true);
    if (lag !== null) {
      check.number(lag, `${at}.scheduleLagMs`, "max");
      check.number(lag, `${at}.scheduleLagMs`, "mean");
    }
    if (typeof p.aborted !== "boolean") throw check.error(`${at}.aborted`, "a boolean", p.aborted);
    check.array(p, at, "latencyBuckets").forEach((bucket, i) => {
      const ok = Array.isArray(bucket) && bucket.length === 3 && typeof bucket[0] === "number" &&
        (typeof bucket[1] === "number" || bucket[1] === null) && typeof bucket[2] === "number";
      if (!ok) {
        throw check.error(`${at}.latencyBuckets[${i}]`, "[fromMs, toMs or null, count]", bucket);
      }
    });
  }
  return data as unknown as BenchJson;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

const PATTERN_NUMBERS = [
  "calls",
  "messages",
  "elapsedMs",
  "callsPerSecond",
  "messagesPerSecond",
  "errorsOmitted",
  "warmupCalls",
  "concurrency",
  "maxInFlight",
  "notStarted",
];

/** Field checks that throw on the first problem, naming its dotted path. */
class Checker {
  readonly #source: string;
  constructor(source: string) {
    this.#source = source;
  }

  error(path: string, expected: string, got: unknown): BenchJsonError {
    return new BenchJsonError(`${this.#source}: ${path}: expected ${expected}, got ${kindOf(got)}`);
  }

  number(parent: Record<string, unknown>, at: string, key: string, nullable = false): void {
    const value = parent[key];
    if (nullable && value === null) return;
    if (typeof value !== "number") {
      throw this.error(join(at, key), nullable ? "a number or null" : "a number", value);
    }
  }

  string(parent: Record<string, unknown>, at: string, key: string, nullable = false): void {
    const value = parent[key];
    if (nullable && value === null) return;
    if (typeof value !== "string") {
      throw this.error(join(at, key), nullable ? "a string or null" : "a string", value);
    }
  }

  record(parent: Record<string, unknown>, at: string, key: string): Record<string, unknown>;
  record(
    parent: Record<string, unknown>,
    at: string,
    key: string,
    nullable: true,
  ): Record<string, unknown> | null;
  record(
    parent: Record<string, unknown>,
    at: string,
    key: string,
    nullable = false,
  ): Record<string, unknown> | null {
    const value = parent[key];
    if (nullable && value === null) return null;
    if (!isRecord(value)) {
      throw this.error(join(at, key), nullable ? "an object or null" : "an object", value);
    }
    return value;
  }

  array(parent: Record<string, unknown>, at: string, key: string): unknown[] {
    const value = parent[key];
    if (!Array.isArray(value)) throw this.error(join(at, key), "an array", value);
    return value;
  }
}

function join(at: string, key: string): string {
  if (at === "") return key;
  return /^\d+$/.test(key) ? `${at}[${key}]` : `${at}.${key}`;
}
