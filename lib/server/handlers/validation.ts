/**
 * Request validation for the Greeter contract, shared by all four RPCs.
 *
 * @module
 */
import { DEFAULT_STREAM_COUNT, MAX_NAME_CHARS, MAX_STREAM_COUNT } from "../../shared/defaults.ts";
import { invalidArgument } from "../errors.ts";

/**
 * Returns `name` when it is non-blank and at most {@linkcode MAX_NAME_CHARS}
 * characters (Unicode code points), else throws `INVALID_ARGUMENT` naming the field.
 */
export function validName(name: string): string {
  if (name.trim() === "") throw invalidArgument("name must not be empty or blank");
  let chars = 0;
  for (const _ of name) {
    if (++chars > MAX_NAME_CHARS) {
      throw invalidArgument(`name must be at most ${MAX_NAME_CHARS} characters`);
    }
  }
  return name;
}

/**
 * Resolves `SayHelloStream`'s `count`: 0 means {@linkcode DEFAULT_STREAM_COUNT};
 * 1 to {@linkcode MAX_STREAM_COUNT} are taken as given; anything else is `INVALID_ARGUMENT`.
 */
export function validCount(count: number): number {
  if (count === 0) return DEFAULT_STREAM_COUNT;
  if (!Number.isInteger(count) || count < 1 || count > MAX_STREAM_COUNT) {
    throw invalidArgument(`count must be between 0 and ${MAX_STREAM_COUNT}`);
  }
  return count;
}
