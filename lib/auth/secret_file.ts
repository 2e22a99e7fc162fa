/**
 * Reading a JWT secret from a file, the same way on the server and the
 * client: the file's bytes are the HMAC key, less one trailing line break
 * (`\n` or `\r\n`) that editors and `echo` add. Nothing else is trimmed and no
 * text decoding happens, so a binary key keeps all its bytes.
 *
 * @module
 */

/** Strips one trailing `\n` or `\r\n`, and nothing else. */
export function secretFromFileBytes(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) {
    end--;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
  }
  return bytes.subarray(0, end);
}

/**
 * Reads `path` and returns the secret it holds (see {@linkcode secretFromFileBytes}).
 *
 * @example
 * ```ts
 * const secret = await readSecretFile("/run/secrets/greeter-jwt");
 * const verifier = createTokenVerifier({ secret, issuer: "greeter", audience: "helloworld.Greeter" });
 * ```
 */
export async function readSecretFile(path: string): Promise<Uint8Array> {
  return secretFromFileBytes(await Deno.readFile(path));
}
