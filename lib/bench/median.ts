/**
 * The median, the figure every bench comparison reports over its rounds.
 *
 * @module
 */

/**
 * The middle value (mean of the two middle ones for an even count).
 *
 * @param values numbers, in any order
 * @returns the median, or NaN for none
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
