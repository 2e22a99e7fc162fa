/**
 * The one error type for a user's configuration mistake, shared by every
 * command line (server, client, bench, scripts).
 *
 * @module
 */

/**
 * A user's configuration mistake: the entry prints `message` as one line,
 * without a stack trace, and exits with code 2.
 *
 * @example
 * ```ts
 * throw new ConfigError('--port must be a whole number from 0 to 65535, got "x"');
 * ```
 */
export class ConfigError extends Error {
  /**
   * Builds the error.
   * @param message one line naming the setting and what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Exit code of every entry for a configuration mistake. */
export const EXIT_CONFIG = 2;

/** Where {@linkcode runEntry} reports a configuration mistake. */
export interface RunEntryOptions {
  /** Writes one line to standard error. @default console.error */
  stderr?: (line: string) => void;
  /** Put before the message. @default "error: " */
  prefix?: string;
}

/**
 * Runs the body of a command-line entry (a script's `main`): a
 * {@linkcode ConfigError} becomes one line on standard error and
 * {@linkcode EXIT_CONFIG}; anything else is a bug and is rethrown with its
 * stack.
 *
 * @param body the entry's work; resolves to an exit code (none means 0)
 * @param options where the line goes
 * @returns the exit code
 *
 * @example
 * ```ts
 * if (import.meta.main) Deno.exitCode = await runEntry(() => main(Deno.args));
 * ```
 */
export async function runEntry(
  body: () => Promise<number | void> | number | void,
  options: RunEntryOptions = {},
): Promise<number> {
  try {
    return (await body()) ?? 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    (options.stderr ?? console.error)(`${options.prefix ?? "error: "}${error.message}`);
    return EXIT_CONFIG;
  }
}
