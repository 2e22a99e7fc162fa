/**
 * Base64url without padding (RFC 4648 §5), for generated secrets.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Encodes bytes as unpadded base64url. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}
