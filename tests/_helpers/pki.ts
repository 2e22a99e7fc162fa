/**
 * The test PKI: a CA, a server certificate for `localhost` and a client
 * certificate, generated once per test module.
 *
 * @module
 */
import { type DevPki, generateDevPki } from "../../lib/shared/dev_certs.ts";

let pkiPromise: Promise<DevPki> | undefined;

/** The test PKI, generated once per test module (each module is its own isolate). */
export function testPki(): Promise<DevPki> {
  pkiPromise ??= generateDevPki();
  return pkiPromise;
}
