/**
 * The load generator behind `deno task bench`: it drives an async `call`
 * function from a pool of workers and measures it. It knows nothing about
 * gRPC; the caller turns one RPC into one {@linkcode CallOutcome}.
 *
 * Honest numbers:
 * - Warm-up calls run first and are drained before the measurement clock
 *   starts; none of them is counted, timed or included in the elapsed time.
 * - Without a target rate the loop is closed: each worker starts its next call
 *   as soon as the previous one ends, and latency is the call's own duration.
 * - With `ratePerSecond` the loop is open: call `i` has an intended start time
 *   `t0 + i / rate` on a fixed schedule, and its latency is measured from that
 *   intended start, so time spent queued behind a slow system counts (the
 *   "coordinated omission" correction). The call's own duration is reported
 *   separately as service time. When every worker is busy the schedule slips:
 *   late calls still run (none is dropped) and the largest slip is reported as
 *   schedule lag.
 *
 * Bounded run: no call is started after the `totalCalls` budget or the
 * `durationMs` window (in rate mode: after the last scheduled slot inside the
 * window), but calls already started are awaited. The runner does not cancel a
 * call, so `call` must enforce its own deadline; a call that never settles
 * keeps `runLoad` from settling.
 *
 * @module
 */
import { Histogram, type LatencySummary } from "./histogram.ts";

/** What {@linkcode runLoad} passes to each call. */
export interface CallContext {
  /** Position of the call in its phase: 0, 1, 2, … separately for warm-up and measurement. */
  readonly index: number;
  /** The worker running the call, `0 … concurrency - 1` (for example to pick a channel). */
  readonly worker: number;
  /** Whether this is a warm-up call, whose outcome is discarded. */
  readonly warmup: boolean;
}

/** What one call reports back to {@linkcode runLoad}. */
export interface CallOutcome {
  /** Final status, for example `"OK"` or `"UNAVAILABLE"`; `"OK"` alone counts as success. */
  status: string;
  /** Response messages received (1 for a successful unary call). @default 0 */
  messages?: number;
  /**
   * Request messages sent (1 for unary and server-streaming calls; the
   * requests of client-streaming and bidi calls). @default 0
   */
  messagesSent?: number;
  /** Milliseconds from the call's actual start to its first response message, for streams. */
  firstMessageMs?: number;
  /** Error message for a failed call, grouped and counted in {@linkcode LoadResult.errors}. */
  error?: string;
}

/** The function {@linkcode runLoad} drives: one call per invocation. */
export type LoadCall = (ctx: CallContext) => Promise<CallOutcome>;

/** Status recorded when `call` throws or rejects, or returns something that is not a {@linkcode CallOutcome}. */
export const EXCEPTION_STATUS = "EXCEPTION";

/** A live view of a run, given to {@linkcode LoadOptions.onProgress}. */
export interface LoadProgress {
  /** Which phase is running. */
  readonly phase: "warmup" | "measure";
  /** Milliseconds since the phase started. */
  readonly elapsedMs: number;
  /** Calls completed in this phase. */
  readonly calls: number;
  /** Calls in flight right now. */
  readonly inFlight: number;
  /** Completed calls per second in this phase so far. */
  readonly callsPerSecond: number;
  /** Calls in this phase whose status was not `"OK"`. */
  readonly failures: number;
  /** Share of the phase done, from 0 to 1, judged by whichever limit is nearer. */
  readonly fraction: number;
  /** Largest schedule lag so far in this phase, ms (0 without a target rate). */
  readonly scheduleLagMs: number;
  /** True for the single last snapshot, sent when the measurement ends. */
  readonly done: boolean;
}

/** Options for {@linkcode runLoad}; at least one of `totalCalls` and `durationMs` is required. */
export interface LoadOptions {
  /** The call to drive; it must enforce its own deadline (the runner never cancels it). */
  call: LoadCall;
  /** Number of workers, which is also the most calls ever in flight. */
  concurrency: number;
  /** Measured calls to start; with `durationMs` too, the run stops at whichever limit comes first. */
  totalCalls?: number;
  /** Measurement window in ms; no call starts after it (in-flight calls are awaited). */
  durationMs?: number;
  /** Warm-up calls before measuring. @default 0 */
  warmupCalls?: number;
  /** Warm-up window in ms; with `warmupCalls` too, warm-up ends at whichever comes first. @default 0 */
  warmupMs?: number;
  /**
   * Target rate, calls per second across all workers (open loop, fixed
   * schedule). Without it each worker calls back to back (closed loop).
   */
  ratePerSecond?: number;
  /** Monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
  /**
   * Waits `ms` milliseconds; should resolve early when `signal` aborts.
   * @default a `setTimeout`-based sleep
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Receives a {@linkcode LoadProgress} at most every `progressIntervalMs`, and once at the end. */
  onProgress?: (snapshot: LoadProgress) => void;
  /**
   * Least time between two progress snapshots, in ms. Snapshots are taken when
   * a call starts or ends, so none arrives while every call is stuck.
   * @default 1000
   */
  progressIntervalMs?: number;
  /** Stops starting calls when aborted; started calls are awaited and the result is marked `aborted`. */
  signal?: AbortSignal;
  /** Distinct error messages kept, with counts; further ones are only counted. @default 5 */
  maxDistinctErrors?: number;
}

/** One distinct error seen during the measurement, with how often. */
export interface ErrorCount {
  /** Status the error came with. */
  readonly status: string;
  /** The error message (truncated to 200 characters). */
  readonly message: string;
  /** How many measured calls ended with this status and message. */
  readonly count: number;
}

/** Schedule slip of a rate-limited run, in milliseconds. */
export interface ScheduleLag {
  /** Largest delay between a call's intended and actual start. */
  readonly max: number;
  /** Mean delay between intended and actual start. */
  readonly mean: number;
}

/** Everything {@linkcode runLoad} measured; warm-up calls appear only in `warmupCalls`. */
export interface LoadResult {
  /** Measured calls completed. */
  readonly calls: number;
  /** Response messages over all measured calls. */
  readonly messages: number;
  /** Request messages over all measured calls. */
  readonly messagesSent: number;
  /** From the start of measurement to the end of the last measured call, ms. */
  readonly elapsedMs: number;
  /** `calls` per second of `elapsedMs` (0 when no time elapsed). */
  readonly callsPerSecond: number;
  /** `messages` per second of `elapsedMs` (0 when no time elapsed). */
  readonly messagesPerSecond: number;
  /** `messagesSent` per second of `elapsedMs` (0 when no time elapsed). */
  readonly messagesSentPerSecond: number;
  /** Latency, ms: from the intended start (rate mode) or the actual start, to the end. All statuses. */
  readonly latency: Histogram;
  /** Figures of {@linkcode latency}. */
  readonly latencySummary: LatencySummary;
  /** Service time, ms: from the call's actual start to its end. Equals `latency` without a target rate. */
  readonly serviceTime: Histogram;
  /** Figures of {@linkcode serviceTime}. */
  readonly serviceTimeSummary: LatencySummary;
  /**
   * Time to first message, ms, measured like `latency` (intended start in
   * rate mode); only calls whose outcome had `firstMessageMs`.
   */
  readonly firstMessage: Histogram;
  /** Figures of {@linkcode firstMessage}, or `undefined` when no outcome reported one. */
  readonly firstMessageSummary: LatencySummary | undefined;
  /** Measured calls per status, for example `{ OK: 998, UNAVAILABLE: 2 }`. */
  readonly statuses: Readonly<Record<string, number>>;
  /** The first distinct errors (by status and message), with counts, most frequent first. */
  readonly errors: readonly ErrorCount[];
  /** Calls with an error message that was not kept in `errors`. */
  readonly errorsOmitted: number;
  /** Warm-up calls completed (excluded from every other figure). */
  readonly warmupCalls: number;
  /** Number of workers. */
  readonly concurrency: number;
  /** Most calls in flight at once during measurement. */
  readonly maxInFlight: number;
  /** The target rate, when there was one. */
  readonly targetRatePerSecond: number | undefined;
  /** How far the schedule slipped, when there was a target rate. */
  readonly scheduleLagMs: ScheduleLag | undefined;
  /** Whether `signal` stopped the run early. */
  readonly aborted: boolean;
  /** Measured calls planned (by `totalCalls` or the rate schedule) but never started because of an abort. */
  readonly notStarted: number;
}

const MAX_ERROR_LENGTH = 200;

/**
 * Runs a load test: optional warm-up, then measurement, with `concurrency`
 * workers calling `options.call`.
 *
 * @param options what to call, how hard and for how long
 * @returns the measured figures
 * @throws {RangeError} when an option is invalid (checked before any call)
 *
 * @example
 * ```ts
 * const result = await runLoad({
 *   call: async () => ({ status: "OK", messages: 1 }),
 *   concurrency: 8,
 *   durationMs: 10_000,
 *   warmupMs: 1_000,
 * });
 * console.log(result.callsPerSecond, result.latencySummary.p99);
 * ```
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validate(options);
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? defaultSleep;
  const progressIntervalMs = options.progressIntervalMs ?? 1000;
  const shared: Shared = {
    options,
    now,
    sleep,
    progressIntervalMs,
    lastProgressAt: now(),
  };

  const warmupCalls = options.warmupCalls ?? 0;
  const warmupMs = options.warmupMs ?? 0;
  let warmedUp = 0;
  if (warmupCalls > 0 || warmupMs > 0) {
    const warmup = await runPhase(shared, {
      warmup: true,
      totalCalls: warmupCalls > 0 ? warmupCalls : undefined,
      durationMs: warmupMs > 0 ? warmupMs : undefined,
    });
    warmedUp = warmup.calls;
  }

  const phase = await runPhase(shared, {
    warmup: false,
    totalCalls: options.totalCalls,
    durationMs: options.durationMs,
  });
  const elapsedSeconds = phase.elapsedMs / 1000;
  const rate = options.ratePerSecond;
  const result: LoadResult = {
    calls: phase.calls,
    messages: phase.messages,
    elapsedMs: phase.elapsedMs,
    callsPerSecond: elapsedSeconds > 0 ? phase.calls / elapsedSeconds : 0,
    messagesPerSecond: elapsedSeconds > 0 ? phase.messages / elapsedSeconds : 0,
    messagesSent: phase.messagesSent,
    messagesSentPerSecond: elapsedSeconds > 0 ? phase.messagesSent / elapsedSeconds : 0,
    latency: phase.latency,
    latencySummary: phase.latency.summary(),
    serviceTime: phase.serviceTime,
    serviceTimeSummary: phase.serviceTime.summary(),
    firstMessage: phase.firstMessage,
    firstMessageSummary: phase.firstMessage.count > 0 ? phase.firstMessage.summary() : undefined,
    statuses: Object.fromEntries(phase.statuses),
    errors: [...phase.errors.values()].sort((a, b) => b.count - a.count),
    errorsOmitted: phase.errorsOmitted,
    warmupCalls: warmedUp,
    concurrency: options.concurrency,
    maxInFlight: phase.maxInFlight,
    targetRatePerSecond: rate,
    scheduleLagMs: rate === undefined ? undefined : {
      max: phase.maxLagMs,
      mean: phase.calls > 0 ? phase.lagSumMs / phase.calls : 0,
    },
    aborted: phase.aborted,
    notStarted: phase.notStarted,
  };
  options.onProgress?.(snapshotOf(shared, phase, true));
  return result;
}

interface Shared {
  readonly options: LoadOptions;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly progressIntervalMs: number;
  lastProgressAt: number;
}

interface PhaseLimits {
  readonly warmup: boolean;
  readonly totalCalls: number | undefined;
  readonly durationMs: number | undefined;
}

interface PhaseState {
  readonly limits: PhaseLimits;
  readonly t0: number;
  /** Calls planned (the budget, or the rate schedule's slots), when known in advance. */
  readonly planned: number | undefined;
  claimed: number;
  started: number;
  calls: number;
  messages: number;
  messagesSent: number;
  inFlight: number;
  maxInFlight: number;
  failures: number;
  lastEndAt: number;
  elapsedMs: number;
  maxLagMs: number;
  lagSumMs: number;
  aborted: boolean;
  notStarted: number;
  stop: boolean;
  readonly latency: Histogram;
  readonly serviceTime: Histogram;
  readonly firstMessage: Histogram;
  readonly statuses: Map<string, number>;
  readonly errors: Map<string, { status: string; message: string; count: number }>;
  errorsOmitted: number;
}

async function runPhase(shared: Shared, limits: PhaseLimits): Promise<PhaseState> {
  const { options, now } = shared;
  const rate = options.ratePerSecond;
  // In rate mode a duration turns into a fixed number of schedule slots: those
  // due strictly inside the window. The epsilon keeps 1000 ms at 3/s at 3 slots.
  const slotsInWindow = rate !== undefined && limits.durationMs !== undefined
    ? Math.max(1, Math.ceil((limits.durationMs * rate) / 1000 - 1e-9))
    : undefined;
  const planned = minDefined(limits.totalCalls, slotsInWindow);
  const t0 = now();
  const state: PhaseState = {
    limits,
    t0,
    planned,
    claimed: 0,
    started: 0,
    calls: 0,
    messages: 0,
    messagesSent: 0,
    inFlight: 0,
    maxInFlight: 0,
    failures: 0,
    lastEndAt: t0,
    elapsedMs: 0,
    maxLagMs: 0,
    lagSumMs: 0,
    aborted: false,
    notStarted: 0,
    stop: false,
    latency: new Histogram(),
    serviceTime: new Histogram(),
    firstMessage: new Histogram(),
    statuses: new Map(),
    errors: new Map(),
    errorsOmitted: 0,
  };

  const claim = (): number | undefined => {
    if (state.stop) return undefined;
    if (options.signal?.aborted) {
      state.aborted = true;
      return undefined;
    }
    if (planned !== undefined && state.claimed >= planned) return undefined;
    if (rate === undefined && limits.durationMs !== undefined && now() - t0 >= limits.durationMs) {
      return undefined;
    }
    return state.claimed++;
  };

  const worker = async (workerId: number): Promise<void> => {
    for (let index = claim(); index !== undefined; index = claim()) {
      const intendedAt = rate === undefined ? t0 : t0 + (index * 1000) / rate;
      if (rate !== undefined) {
        const wait = intendedAt - now();
        if (wait > 0) await shared.sleep(wait, options.signal);
        if (options.signal?.aborted) {
          state.aborted = true;
          return;
        }
      }
      const startedAt = now();
      // A call that starts early (a timer firing a hair soon) is timed from its
      // actual start, so latency is never below service time.
      const measuredFrom = rate === undefined ? startedAt : Math.min(intendedAt, startedAt);
      state.started++;
      state.inFlight++;
      if (state.inFlight > state.maxInFlight) state.maxInFlight = state.inFlight;
      maybeProgress(shared, state);
      let outcome: CallOutcome;
      try {
        outcome = checkOutcome(
          await options.call({ index, worker: workerId, warmup: limits.warmup }),
        );
      } catch (error) {
        outcome = { status: EXCEPTION_STATUS, error: messageOf(error) };
      }
      const endedAt = now();
      state.inFlight--;
      record(shared, state, outcome, {
        lagMs: Math.max(0, startedAt - intendedAt),
        latencyMs: Math.max(0, endedAt - measuredFrom),
        serviceMs: Math.max(0, endedAt - startedAt),
        startedAt,
        endedAt,
      });
      maybeProgress(shared, state);
    }
  };

  const workerCount = Math.min(options.concurrency, planned ?? Infinity);
  const settled = await Promise.allSettled(
    Array.from({ length: workerCount }, async (_, id) => {
      try {
        await worker(id);
      } catch (error) {
        state.stop = true; // for example onProgress threw: let the other workers wind down
        throw error;
      }
    }),
  );
  state.elapsedMs = Math.max(0, (state.calls > 0 ? state.lastEndAt : now()) - t0);
  if (state.aborted && planned !== undefined) state.notStarted = planned - state.started;
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return state;
}

interface Timing {
  lagMs: number;
  latencyMs: number;
  serviceMs: number;
  startedAt: number;
  endedAt: number;
}

function record(shared: Shared, state: PhaseState, outcome: CallOutcome, timing: Timing): void {
  state.calls++;
  if (timing.endedAt > state.lastEndAt) state.lastEndAt = timing.endedAt;
  if (outcome.status !== "OK") state.failures++;
  if (state.limits.warmup) return;
  const messages = outcome.messages ?? 0;
  state.messages += messages;
  state.messagesSent += outcome.messagesSent ?? 0;
  state.latency.record(timing.latencyMs);
  state.serviceTime.record(timing.serviceMs);
  if (outcome.firstMessageMs !== undefined) {
    state.firstMessage.record(timing.latencyMs - timing.serviceMs + outcome.firstMessageMs);
  }
  state.lagSumMs += timing.lagMs;
  if (timing.lagMs > state.maxLagMs) state.maxLagMs = timing.lagMs;
  state.statuses.set(outcome.status, (state.statuses.get(outcome.status) ?? 0) + 1);
  if (outcome.error !== undefined) {
    const message = outcome.error.length > MAX_ERROR_LENGTH
      ? `${outcome.error.slice(0, MAX_ERROR_LENGTH - 1)}…`
      : outcome.error;
    const key = `${outcome.status}\u0000${message}`;
    const known = state.errors.get(key);
    if (known) known.count++;
    else if (state.errors.size < (shared.options.maxDistinctErrors ?? 5)) {
      state.errors.set(key, { status: outcome.status, message, count: 1 });
    } else state.errorsOmitted++;
  }
}

function maybeProgress(shared: Shared, state: PhaseState): void {
  const onProgress = shared.options.onProgress;
  if (!onProgress) return;
  const at = shared.now();
  if (at - shared.lastProgressAt < shared.progressIntervalMs) return;
  shared.lastProgressAt = at;
  onProgress(snapshotOf(shared, state, false));
}

function snapshotOf(shared: Shared, state: PhaseState, done: boolean): LoadProgress {
  const elapsedMs = done ? state.elapsedMs : Math.max(0, shared.now() - state.t0);
  const { totalCalls, durationMs } = state.limits;
  const byCalls = totalCalls !== undefined ? state.calls / totalCalls : 0;
  const byTime = durationMs !== undefined ? elapsedMs / durationMs : 0;
  return {
    phase: state.limits.warmup ? "warmup" : "measure",
    elapsedMs,
    calls: state.calls,
    inFlight: state.inFlight,
    callsPerSecond: elapsedMs > 0 ? state.calls / (elapsedMs / 1000) : 0,
    failures: state.failures,
    fraction: done ? 1 : Math.min(1, Math.max(byCalls, byTime)),
    scheduleLagMs: state.maxLagMs,
    done,
  };
}

function checkOutcome(value: unknown): CallOutcome {
  const problem = outcomeProblem(value);
  if (problem === undefined) return value as CallOutcome;
  return { status: EXCEPTION_STATUS, error: `call returned an invalid outcome: ${problem}` };
}

function outcomeProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "not an object";
  const o = value as Record<string, unknown>;
  if (typeof o.status !== "string" || o.status === "") return '"status" is not a non-empty string';
  if (o.messages !== undefined && !(typeof o.messages === "number" && o.messages >= 0)) {
    return '"messages" is not a number >= 0';
  }
  if (
    o.messagesSent !== undefined && !(typeof o.messagesSent === "number" && o.messagesSent >= 0)
  ) {
    return '"messagesSent" is not a number >= 0';
  }
  if (
    o.firstMessageMs !== undefined &&
    !(typeof o.firstMessageMs === "number" && Number.isFinite(o.firstMessageMs) &&
      o.firstMessageMs >= 0)
  ) {
    return '"firstMessageMs" is not a finite number >= 0';
  }
  if (o.error !== undefined && typeof o.error !== "string") return '"error" is not a string';
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function validate(options: LoadOptions): void {
  if (typeof options.call !== "function") {
    throw new RangeError('runLoad: "call" must be a function');
  }
  positiveInteger("concurrency", options.concurrency);
  if (options.totalCalls === undefined && options.durationMs === undefined) {
    throw new RangeError('runLoad: give "totalCalls" or "durationMs" (or both) to bound the run');
  }
  if (options.totalCalls !== undefined) positiveInteger("totalCalls", options.totalCalls);
  if (options.durationMs !== undefined) positiveNumber("durationMs", options.durationMs);
  if (options.warmupCalls !== undefined) nonNegativeInteger("warmupCalls", options.warmupCalls);
  if (options.warmupMs !== undefined) nonNegativeNumber("warmupMs", options.warmupMs);
  if (options.ratePerSecond !== undefined) positiveNumber("ratePerSecond", options.ratePerSecond);
  if (options.progressIntervalMs !== undefined) {
    nonNegativeNumber("progressIntervalMs", options.progressIntervalMs);
  }
  if (options.maxDistinctErrors !== undefined) {
    nonNegativeInteger("maxDistinctErrors", options.maxDistinctErrors);
  }
}

function positiveInteger(name: string, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    throw new RangeError(`runLoad: "${name}" must be a positive integer, got ${value}`);
  }
}

function nonNegativeInteger(name: string, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`runLoad: "${name}" must be an integer >= 0, got ${value}`);
  }
}

function positiveNumber(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`runLoad: "${name}" must be a positive number, got ${value}`);
  }
}

function nonNegativeNumber(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`runLoad: "${name}" must be a number >= 0, got ${value}`);
  }
}
