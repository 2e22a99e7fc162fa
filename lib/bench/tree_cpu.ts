/**
 * CPU time of a process and all its descendants, from Linux's `/proc`: what a
 * supervisor and its workers spend together.
 *
 * @module
 */

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux). */
export const CLOCK_TICKS = 100;

/**
 * User plus system clock ticks in the text of a `/proc/<pid>/stat` file.
 *
 * @param stat the file's text
 * @returns `utime + stime`, in clock ticks
 *
 * @example
 * ```ts
 * statCpuTicks("42 (deno) S 1 42 42 0 -1 4194560 1 0 0 0 7 3 0 0"); // 10
 * ```
 */
export function statCpuTicks(stat: string): number {
  // The command name, in parentheses, may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

/** What {@linkcode treeCpuSeconds} reads of `/proc` (a fake in tests). */
export interface ProcReader {
  /** The text of a file. */
  readText(path: string): string;
  /** The names in a directory. */
  list(path: string): string[];
}

/** The real `/proc`. */
const PROC: ProcReader = {
  readText: (path) => Deno.readTextFileSync(path),
  list: (path) => [...Deno.readDirSync(path)].map((entry) => entry.name),
};

/**
 * CPU seconds (user + system) of `pid` and every descendant alive now.
 *
 * Deno reads another process's `/proc` files only with `-A`.
 *
 * @param pid the root of the process tree
 * @param proc where `/proc` is read
 * @returns its CPU time so far, in seconds
 * @throws when `pid` itself cannot be read (it has ended, or no `/proc`)
 *
 * @example
 * ```ts
 * const before = treeCpuSeconds(server.pid);
 * // ... load ...
 * const cpu = treeCpuSeconds(server.pid) - before;
 * ```
 */
export function treeCpuSeconds(pid: number, proc: ProcReader = PROC): number {
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (p === 0) continue; // the trailing space of a children list
    try {
      ticks += statCpuTicks(proc.readText(`/proc/${p}/stat`));
      for (const task of proc.list(`/proc/${p}/task`)) {
        const children = proc.readText(`/proc/${p}/task/${task}/children`).trim();
        if (children !== "") stack.push(...children.split(" ").map(Number));
      }
    } catch (error) {
      // A process that ended meanwhile has nothing more to count; the root must be there.
      if (p === pid) throw error;
    }
  }
  return ticks / CLOCK_TICKS;
}
