import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import {
  type CallContext,
  type CallOutcome,
  EXCEPTION_STATUS,
  type LoadOptions,
  type LoadProgress,
  runLoad,
} from "../../lib/bench/load_runner.ts";

/**
 * Virtual time: `sleep` parks a timer, and `run` advances the clock straight
 * to the next timer whenever every task is waiting. Both the runner's
 * schedule and the fake calls sleep on it, so a "30 ms call" takes exactly
 * 30 ms and a test of seconds of load finishes in milliseconds.
 */
class VirtualClock {
  #now = 0;
  #seq = 0;
  #timers: { at: number; seq: number; resolve: () => void }[] = [];

  readonly now = (): number => this.#now;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.#timers.push({ at: this.#now + Math.max(0, ms), seq: this.#seq++, resolve });
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    });

  /** Runs `task` to completion in virtual time. */
  async run<T>(task: Promise<T>): Promise<T> {
    let settled = false;
    task.then(() => settled = true, () => settled = true);
    for (let steps = 0; steps < 100_000; steps++) {
      // A macrotask boundary: every pending promise reaction has run. setImmediate
      // is not subject to the nested-timer clamp that slows setTimeout(0) down.
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return await task;
      const next = this.#timers.shift();
      if (next === undefined) throw new Error("virtual clock: deadlock, nothing left to wake");
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
    }
    throw new Error("virtual clock: too many steps");
  }
}

/** Runs `runLoad` on a fresh virtual clock. */
function runVirtual(
  options: Omit<LoadOptions, "now" | "sleep" | "call"> & {
    call: (ctx: CallContext, clock: VirtualClock) => Promise<CallOutcome>;
  },
) {
  const clock = new VirtualClock();
  const call = options.call;
  return clock.run(runLoad({
    ...options,
    now: clock.now,
    sleep: clock.sleep,
    call: (ctx) => call(ctx, clock),
  }));
}

/** A fake call that takes `ms` of virtual time and succeeds with one message. */
function takes(ms: number | ((ctx: CallContext) => number)) {
  return async (ctx: CallContext, clock: VirtualClock): Promise<CallOutcome> => {
    await clock.sleep(typeof ms === "number" ? ms : ms(ctx));
    return { status: "OK", messages: 1 };
  };
}

Deno.test("load runner starts exactly totalCalls measured calls", async (t) => {
  const cases = [
    { name: "one worker makes 7 calls", concurrency: 1, totalCalls: 7 },
    { name: "four workers make 37 calls", concurrency: 4, totalCalls: 37 },
    { name: "more workers than calls still makes 3 calls", concurrency: 10, totalCalls: 3 },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const seen: number[] = [];
      const result = await runVirtual({
        concurrency: c.concurrency,
        totalCalls: c.totalCalls,
        call: async (ctx, clock) => {
          seen.push(ctx.index);
          await clock.sleep(1 + (ctx.index % 5));
          return { status: "OK", messages: 1 };
        },
      });
      assert.equal(seen.length, c.totalCalls);
      assert.deepEqual([...seen].sort((a, b) => a - b), [...Array(c.totalCalls).keys()]);
      assert.equal(result.calls, c.totalCalls);
      assert.equal(result.messages, c.totalCalls);
      assert.equal(result.latency.count, c.totalCalls);
      assert.deepEqual(result.statuses, { OK: c.totalCalls });
    });
  }
});

Deno.test("load runner excludes warm-up calls from every measured figure", async () => {
  const phases: boolean[] = [];
  const result = await runVirtual({
    concurrency: 2,
    totalCalls: 10,
    warmupCalls: 4,
    call: async (ctx, clock) => {
      phases.push(ctx.warmup);
      // Warm-up calls are slow and fail; measured calls are fast and succeed.
      await clock.sleep(ctx.warmup ? 500 : 2);
      return ctx.warmup ? { status: "UNAVAILABLE", error: "cold" } : { status: "OK", messages: 3 };
    },
  });
  assert.equal(phases.filter((w) => w).length, 4);
  assert.equal(phases.filter((w) => !w).length, 10);
  assert.ok(phases.slice(0, 4).every((w) => w), "warm-up runs and drains before measuring");
  assert.equal(result.warmupCalls, 4);
  assert.equal(result.calls, 10);
  assert.equal(result.messages, 30);
  assert.deepEqual(result.statuses, { OK: 10 });
  assert.deepEqual(result.errors, []);
  assert.equal(result.latencySummary.max, 2);
  assert.equal(
    result.elapsedMs,
    10,
    "5 rounds of 2 ms on 2 workers; the clock starts after warm-up",
  );
  assert.equal(result.callsPerSecond, 1000);
});

Deno.test("load runner warm-up by time ends at warmupMs and is not measured", async () => {
  let warm = 0;
  const result = await runVirtual({
    concurrency: 1,
    totalCalls: 5,
    warmupMs: 100,
    call: async (ctx, clock) => {
      if (ctx.warmup) warm++;
      await clock.sleep(30);
      return { status: "OK" };
    },
  });
  assert.equal(warm, 4, "warm-up calls start at 0, 30, 60 and 90 ms");
  assert.equal(result.warmupCalls, 4);
  assert.equal(result.calls, 5);
  assert.equal(result.elapsedMs, 150);
});

Deno.test("load runner never has more calls in flight than its concurrency", async (t) => {
  for (const concurrency of [1, 3, 8]) {
    await t.step(`${concurrency} workers keep at most ${concurrency} calls in flight`, async () => {
      let inFlight = 0;
      let most = 0;
      const result = await runVirtual({
        concurrency,
        totalCalls: 40,
        call: async (ctx, clock) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await clock.sleep(1 + ((ctx.index * 7) % 11));
          inFlight--;
          return { status: "OK" };
        },
      });
      assert.equal(most, concurrency, "the pool is used fully but never exceeded");
      assert.equal(result.maxInFlight, concurrency);
    });
  }
});

Deno.test("load runner with a duration stops starting calls when the window closes", async () => {
  const result = await runVirtual({
    concurrency: 2,
    durationMs: 100,
    call: takes(10),
  });
  // Each worker starts calls at 0, 10, …, 90 ms; none starts at 100 ms.
  assert.equal(result.calls, 20);
  assert.equal(result.elapsedMs, 100);
  assert.equal(result.callsPerSecond, 200);
});

Deno.test("load runner with both limits stops at whichever comes first", async (t) => {
  const cases = [
    { name: "the call budget comes first", totalCalls: 5, durationMs: 1000, calls: 5 },
    { name: "the time window comes first", totalCalls: 500, durationMs: 50, calls: 5 },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const result = await runVirtual({
        concurrency: 1,
        totalCalls: c.totalCalls,
        durationMs: c.durationMs,
        call: takes(10),
      });
      assert.equal(result.calls, c.calls);
    });
  }
});

Deno.test("load runner at a target rate starts calls on the fixed schedule", async () => {
  const starts: number[] = [];
  const clock = new VirtualClock();
  const result = await clock.run(runLoad({
    concurrency: 4,
    durationMs: 1000,
    ratePerSecond: 100,
    now: clock.now,
    sleep: clock.sleep,
    call: async () => {
      starts.push(clock.now());
      await clock.sleep(5);
      return { status: "OK", messages: 1 };
    },
  }));
  assert.equal(result.calls, 100);
  assert.deepEqual(starts, Array.from({ length: 100 }, (_, i) => i * 10));
  assert.ok(Math.abs(result.callsPerSecond - 100) / 100 < 0.02, `${result.callsPerSecond}/s`);
  assert.equal(result.targetRatePerSecond, 100);
  assert.deepEqual(result.scheduleLagMs, { max: 0, mean: 0 });
  assert.equal(result.latencySummary.max, 5);
  assert.equal(result.maxInFlight, 1, "5 ms calls every 10 ms never overlap");
});

Deno.test("load runner at a target rate fits exactly the slots due inside the window", async (t) => {
  const cases = [
    {
      name: "3 calls/s for one second makes 3 calls",
      ratePerSecond: 3,
      durationMs: 1000,
      calls: 3,
    },
    {
      name: "7 calls/s for half a second makes 4 calls",
      ratePerSecond: 7,
      durationMs: 500,
      calls: 4,
    },
    {
      name: "a budget below the window's slots wins",
      ratePerSecond: 100,
      durationMs: 1000,
      totalCalls: 12,
      calls: 12,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { ratePerSecond, durationMs, totalCalls } = c;
      const result = await runVirtual({
        concurrency: 2,
        ratePerSecond,
        durationMs,
        totalCalls,
        call: takes(1),
      });
      assert.equal(result.calls, c.calls);
    });
  }
});

Deno.test("load runner measures latency from the intended start when calls fall behind", async () => {
  // 100 calls/s means a slot every 10 ms, but one worker needs 30 ms per call:
  // call i is due at 10·i ms yet starts at 30·i ms, so it waits 20·i ms.
  const result = await runVirtual({
    concurrency: 1,
    totalCalls: 20,
    ratePerSecond: 100,
    call: takes(30),
  });
  assert.equal(result.calls, 20, "late calls are still made, none dropped");
  assert.equal(result.serviceTimeSummary.max, 30);
  assert.equal(result.serviceTimeSummary.min, 30);
  // Latency from intended start: 30 + 20·i ms, up to 410 ms. Measured from the
  // actual start it would be 30 ms throughout and these checks would fail.
  assert.equal(result.latencySummary.min, 30);
  assert.equal(result.latencySummary.max, 410);
  assert.ok(result.latencySummary.p50 > 2 * result.serviceTimeSummary.p50);
  assert.ok(result.latencySummary.p99 > 10 * result.serviceTimeSummary.p99);
  assert.equal(result.scheduleLagMs?.max, 380);
  assert.equal(result.scheduleLagMs?.mean, 190);
  assert.ok(result.callsPerSecond < 40, "the achieved rate shows the shortfall");
});

Deno.test("load runner without a target rate reports latency equal to service time", async () => {
  const result = await runVirtual({ concurrency: 1, totalCalls: 5, call: takes(30) });
  assert.deepEqual(result.latencySummary, result.serviceTimeSummary);
  assert.equal(result.targetRatePerSecond, undefined);
  assert.equal(result.scheduleLagMs, undefined);
});

Deno.test("load runner counts statuses and groups the first distinct errors", async () => {
  const outcomes: (CallOutcome | Error)[] = [
    { status: "OK", messages: 1 },
    { status: "UNAVAILABLE", error: "connection refused" },
    { status: "OK", messages: 1 },
    { status: "DEADLINE_EXCEEDED", error: "deadline exceeded after 100ms" },
    { status: "UNAVAILABLE", error: "connection refused" },
    new TypeError("boom"),
    { status: "RESOURCE_EXHAUSTED" },
    { status: "INTERNAL", error: "e1" },
    { status: "INTERNAL", error: "e2" },
    { status: "INTERNAL", error: "e3" },
  ];
  const result = await runVirtual({
    concurrency: 3,
    totalCalls: outcomes.length,
    maxDistinctErrors: 4,
    call: async (ctx, clock) => {
      await clock.sleep(1);
      const outcome = outcomes[ctx.index];
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  });
  assert.deepEqual(result.statuses, {
    OK: 2,
    UNAVAILABLE: 2,
    DEADLINE_EXCEEDED: 1,
    [EXCEPTION_STATUS]: 1,
    RESOURCE_EXHAUSTED: 1,
    INTERNAL: 3,
  });
  assert.equal(result.calls, 10);
  assert.equal(result.messages, 2);
  assert.deepEqual(result.errors, [
    { status: "UNAVAILABLE", message: "connection refused", count: 2 },
    { status: "DEADLINE_EXCEEDED", message: "deadline exceeded after 100ms", count: 1 },
    { status: EXCEPTION_STATUS, message: "TypeError: boom", count: 1 },
    { status: "INTERNAL", message: "e1", count: 1 },
  ]);
  assert.equal(result.errorsOmitted, 2);
});

Deno.test("load runner turns a malformed outcome into a visible EXCEPTION", async (t) => {
  const cases: { name: string; outcome: unknown; message: RegExp }[] = [
    { name: "an undefined outcome is reported", outcome: undefined, message: /not an object/ },
    { name: "a missing status is reported", outcome: { messages: 1 }, message: /"status"/ },
    {
      name: "negative messages are reported",
      outcome: { status: "OK", messages: -1 },
      message: /"messages"/,
    },
    {
      name: "a NaN first-message time is reported",
      outcome: { status: "OK", firstMessageMs: NaN },
      message: /"firstMessageMs"/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const result = await runVirtual({
        concurrency: 1,
        totalCalls: 1,
        call: () => Promise.resolve(c.outcome as CallOutcome),
      });
      assert.deepEqual(result.statuses, { [EXCEPTION_STATUS]: 1 });
      assert.match(result.errors[0].message, c.message);
    });
  }
});

Deno.test("load runner records time to first message for streams only", async () => {
  const result = await runVirtual({
    concurrency: 2,
    totalCalls: 6,
    call: async (_ctx, clock) => {
      await clock.sleep(20);
      return { status: "OK", messages: 10, firstMessageMs: 4 };
    },
  });
  assert.equal(result.messages, 60);
  assert.equal(result.messagesPerSecond, 1000);
  assert.equal(result.firstMessage.count, 6);
  assert.equal(result.firstMessageSummary?.p50, 4);
  const unary = await runVirtual({ concurrency: 1, totalCalls: 2, call: takes(1) });
  assert.equal(unary.firstMessageSummary, undefined);
});

Deno.test("load runner times first messages from the intended start when behind", async () => {
  const result = await runVirtual({
    concurrency: 1,
    totalCalls: 3,
    ratePerSecond: 100,
    call: async (_ctx, clock) => {
      await clock.sleep(30);
      return { status: "OK", messages: 2, firstMessageMs: 5 };
    },
  });
  // Call 2 is due at 20 ms, starts at 60 ms: its first message lands 45 ms after it was due.
  assert.equal(result.firstMessageSummary?.max, 45);
  assert.equal(result.firstMessageSummary?.min, 5);
});

Deno.test("load runner reports progress at the interval and once at the end", async () => {
  const snapshots: LoadProgress[] = [];
  await runVirtual({
    concurrency: 1,
    totalCalls: 20,
    progressIntervalMs: 50,
    call: takes(10),
    onProgress: (s) => snapshots.push(s),
  });
  assert.ok(snapshots.length >= 3 && snapshots.length <= 6, `${snapshots.length} snapshots`);
  const last = snapshots[snapshots.length - 1];
  assert.equal(last.done, true);
  assert.equal(last.calls, 20);
  assert.equal(last.fraction, 1);
  assert.ok(snapshots.slice(0, -1).every((s) => !s.done && s.phase === "measure"));
  for (let i = 1; i < snapshots.length - 1; i++) {
    assert.ok(snapshots[i].elapsedMs - snapshots[i - 1].elapsedMs >= 50);
  }
});

Deno.test("load runner stops starting calls once aborted and says how many it skipped", async () => {
  const controller = new AbortController();
  const result = await runVirtual({
    concurrency: 2,
    totalCalls: 100,
    signal: controller.signal,
    call: async (ctx, clock) => {
      if (ctx.index === 9) controller.abort();
      await clock.sleep(5);
      return { status: "OK" };
    },
  });
  assert.equal(result.aborted, true);
  assert.equal(result.calls, 10, "calls already started are awaited");
  assert.equal(result.notStarted, 90);
});

Deno.test("load runner rejects options that cannot bound or run a load", async (t) => {
  const call = () => Promise.resolve({ status: "OK" });
  const cases: { name: string; options: LoadOptions; message: RegExp }[] = [
    {
      name: "no limit at all is refused",
      options: { call, concurrency: 1 },
      message: /totalCalls" or "durationMs/,
    },
    {
      name: "zero concurrency is refused",
      options: { call, concurrency: 0, totalCalls: 1 },
      message: /"concurrency"/,
    },
    {
      name: "fractional totalCalls is refused",
      options: { call, concurrency: 1, totalCalls: 1.5 },
      message: /"totalCalls"/,
    },
    {
      name: "a negative duration is refused",
      options: { call, concurrency: 1, durationMs: -5 },
      message: /"durationMs"/,
    },
    {
      name: "a zero rate is refused",
      options: { call, concurrency: 1, totalCalls: 1, ratePerSecond: 0 },
      message: /"ratePerSecond"/,
    },
    {
      name: "negative warm-up calls are refused",
      options: { call, concurrency: 1, totalCalls: 1, warmupCalls: -1 },
      message: /"warmupCalls"/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assert.rejects(runLoad(c.options), { name: "RangeError", message: c.message });
    });
  }
});

Deno.test("load runner passes an onProgress failure on after the workers stop", async () => {
  let calls = 0;
  await assert.rejects(
    runVirtual({
      concurrency: 3,
      totalCalls: 1000,
      progressIntervalMs: 0,
      call: async (_ctx, clock) => {
        calls++;
        await clock.sleep(1);
        return { status: "OK" };
      },
      onProgress: () => {
        throw new Error("display broke");
      },
    }),
    { message: "display broke" },
  );
  assert.ok(calls <= 3, `${calls} calls started after the failure`);
});

Deno.test("load runner works on the real clock with tiny sleeps and leaves no timers", async () => {
  const result = await runLoad({
    concurrency: 2,
    durationMs: 100,
    ratePerSecond: 200,
    call: async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { status: "OK", messages: 1 };
    },
  });
  assert.equal(result.calls, 20, "20 slots of 5 ms fit in 100 ms");
  // Slot 19 is due at 95 ms, so the rate cannot exceed ~210/s; a loaded machine only lowers it.
  assert.ok(
    result.callsPerSecond > 60 && result.callsPerSecond < 215,
    `${result.callsPerSecond}/s`,
  );
  assert.ok(result.latencySummary.max >= result.serviceTimeSummary.max);
});

Deno.test("load runner abort cuts a real schedule sleep short", async () => {
  const controller = new AbortController();
  const started = performance.now();
  const result = await runLoad({
    concurrency: 1,
    totalCalls: 3,
    ratePerSecond: 1, // the second call is due after one second
    signal: controller.signal,
    call: () => {
      queueMicrotask(() => controller.abort());
      return Promise.resolve({ status: "OK" });
    },
  });
  assert.ok(performance.now() - started < 500, "the one-second wait was not sat out");
  assert.equal(result.calls, 1);
  assert.equal(result.notStarted, 2);
});
