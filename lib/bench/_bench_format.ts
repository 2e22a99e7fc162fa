/**
 * Number and settings formatting shared by the bench's text report and its
 * comparison.
 *
 * @module
 */
import type { BenchJsonMeta, BenchJsonPattern } from "./bench_schema.ts";

/** The run's load settings on one line: `concurrency 8 · channels 2 · duration 10.00 s · …`. */
export function settingsOf(meta: BenchJsonMeta): string {
  const parts = [`concurrency ${meta.concurrency}`];
  if (meta.channels !== null) parts.push(`channels ${meta.channels}`);
  if (meta.durationMs !== null) parts.push(`duration ${fmtSeconds(meta.durationMs)}`);
  if (meta.totalCalls !== null) parts.push(`calls ${meta.totalCalls}`);
  parts.push(meta.ratePerSecond !== null ? `rate ${fmtRate(meta.ratePerSecond)}/s` : "rate open");
  if (meta.warmupCalls !== null) parts.push(`warm-up ${meta.warmupCalls} calls`);
  if (meta.warmupMs !== null) parts.push(`warm-up ${fmtSeconds(meta.warmupMs)}`);
  return parts.join(" · ");
}

/** When and with what the run was made: date, Deno version and commit when known. */
export function provenanceOf(meta: BenchJsonMeta): string {
  const parts = [meta.date, `deno ${meta.denoVersion}`];
  if (meta.gitCommit !== null) parts.push(`commit ${meta.gitCommit}`);
  return parts.join(" · ");
}

/** Milliseconds with about three significant digits. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** A rate per second with one decimal, or `-` when not finite. */
export function fmtRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? perSecond.toFixed(1) : "-";
}

/** Milliseconds as seconds with two decimals: `"1.50 s"`. */
export function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Messages a pattern moved per second, both directions: requests sent plus
 * replies received (replies only in documents from before requests were
 * counted). For client streaming the requests are most of it.
 *
 * @param p one pattern's figures
 * @returns messages per second
 */
export function messagesMoved(p: BenchJsonPattern): number {
  return p.messagesPerSecond + (p.requestsPerSecond ?? 0);
}
