/**
 * Small byte helpers: hex, concatenation, equality. No dependency on any
 * encoding library.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { forgetSecret } from "./secret_holders.ts";

const HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/** Lower-case hex encoding. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

/** Decodes hex (either case); throws `invalid_argument` on bad input. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new MlsError("invalid_argument", "not a hex string");
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte-wise equality (not constant time; see {@link constantTimeEqual}). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equality whose running time does not depend on where bytes differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 encoding of a string. */
export function utf8Encode(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Strict UTF-8 decoding; throws `invalid_value` on malformed input. */
export function utf8Decode(b: Uint8Array): string {
  try {
    return utf8Strict.decode(b);
  } catch (cause) {
    throw new MlsError("invalid_value", "not valid UTF-8", undefined, {
      cause,
    });
  }
}

/**
 * Overwrites a secret with zeros; used when a secret is consumed. Whatever a
 * provider cached from these bytes (a copy, an imported key) goes too
 * (`secret_holders.ts`).
 */
export function wipe(b: Uint8Array | undefined): void {
  if (!b) return;
  forgetSecret(b);
  b.fill(0);
}
