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
