/**
 * A live, single-line progress display for the bench. It redraws one line in
 * place (`\r`, then erase to end of line) and writes nothing at all when the
 * output is not a terminal, so CI logs and redirected output stay clean.
 *
 * @module
 */
import type { LoadProgress } from "./load_runner.ts";

/** Where the progress line goes: the parts of `Deno.stdout` it needs. */
export interface ProgressOutput {
  /** Whether the output is an interactive terminal. */
  isTerminal(): boolean;
  /** Writes bytes synchronously, returning how many were written. */
  writeSync(bytes: Uint8Array): number;
}

/** Options for {@linkcode createProgressLine}. */
export interface ProgressLineOptions {
  /** Output stream. @default Deno.stdout */
  output?: ProgressOutput;
  /**
   * Terminal width in columns; the line is cut to one column less so it
   * never wraps. Asked once per update.
   * @default `Deno.consoleSize().columns`, or 80 when that fails
   */
  columns?: () => number;
}

/** A progress line, from {@linkcode createProgressLine}. */
export interface ProgressLine {
  /** Whether anything will ever be written (the output is a terminal). */
  readonly enabled: boolean;
  /** Redraws the line for a pattern's latest snapshot. */
  update(label: string, snapshot: LoadProgress): void;
  /** Redraws the line with free text. */
  write(text: string): void;
  /** Erases the line, if one is shown, so the next output starts on a clean line. */
  clear(): void;
}

const encoder = new TextEncoder();

/**
 * Creates a progress line; feed it from the runner's `onProgress`
 * and {@linkcode ProgressLine.clear} it before printing the report.
 *
 * @param options output and width; the defaults suit a real terminal
 * @returns the progress line (inert when the output is not a terminal)
 *
 * @example
 * ```ts
 * const progress = createProgressLine();
 * const result = await runLoad({ ...load, onProgress: (s) => progress.update("unary", s) });
 * progress.clear();
 * ```
 */
export function createProgressLine(options: ProgressLineOptions = {}): ProgressLine {
  const output = options.output ?? Deno.stdout;
  const columns = options.columns ?? terminalColumns;
  const enabled = output.isTerminal();
  let shown = false;
  const write = (text: string): void => {
    if (!enabled) return;
    const width = Math.max(10, columns() - 1);
    const line = text.length > width ? text.slice(0, width) : text;
    output.writeSync(encoder.encode(`\r${line}\x1b[K`));
    shown = true;
  };
  return {
    enabled,
    update: (label, snapshot) => write(formatProgress(label, snapshot)),
    write,
    clear() {
      if (!enabled || !shown) return;
      output.writeSync(encoder.encode("\r\x1b[K"));
      shown = false;
    },
  };
}

/**
 * The text of one progress line, for example
 * `unary  measure  42%  4.2 s  4210 calls  1002.4/s  in flight 8  non-OK 0`.
 *
 * @param label the pattern being run
 * @param s the runner's latest snapshot
 * @returns one line, without control characters
 */
export function formatProgress(label: string, s: LoadProgress): string {
  const parts = [
    label,
    s.phase === "warmup" ? "warm-up" : "measure",
    `${Math.round(s.fraction * 100)}%`,
    `${(s.elapsedMs / 1000).toFixed(1)} s`,
    `${s.calls} calls`,
    `${s.callsPerSecond.toFixed(1)}/s`,
    `in flight ${s.inFlight}`,
    `non-OK ${s.failures}`,
  ];
  if (s.scheduleLagMs > 0) parts.push(`lag ${s.scheduleLagMs.toFixed(1)} ms`);
  return parts.join("  ");
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}
