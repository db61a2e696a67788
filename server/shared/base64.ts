/**
 * Standard base64 (RFC 4648 §4) for the JSON parts of the HTTP API. Works
 * in every runtime (no `Buffer`, no `Uint8Array.fromBase64` needed).
 *
 * @module
 */

/** Encodes bytes as standard base64. */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Decodes standard base64; throws `TypeError` on bad input. */
export function fromBase64(text: string): Uint8Array {
  let s: string;
  try {
    s = atob(text);
  } catch {
    throw new TypeError("invalid base64");
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
