/**
 * ECDSA signature encodings. MLS carries ECDSA signatures DER-encoded (RFC
 * 9420 §5.1.2, following TLS 1.3): `SEQUENCE { INTEGER r, INTEGER s }`.
 * WebCrypto produces and consumes the IEEE P1363 form `r || s`, each half
 * the curve's field size. This module converts between the two, strictly.
 *
 * @module
 */

/** Writes a DER length header at `at`; returns the next offset. */
function putLength(out: Uint8Array, at: number, len: number): number {
  if (len < 0x80) {
    out[at] = len;
    return at + 1;
  }
  out[at] = 0x81; // every ECDSA signature on the MLS curves fits in 255 bytes
  out[at + 1] = len;
  return at + 2;
}

/** The minimal DER INTEGER content for an unsigned big-endian value. */
function integerContent(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const trimmed = v.subarray(i);
  if (trimmed[0] & 0x80) {
    const padded = new Uint8Array(trimmed.length + 1);
    padded.set(trimmed, 1);
    return padded;
  }
  return trimmed;
}

/**
 * Converts a P1363 signature `r || s` to DER.
 *
 * @param sig the raw signature; its length must be even
 * @returns `SEQUENCE { INTEGER r, INTEGER s }` in DER
 */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  const half = sig.length >> 1;
  if (half === 0 || sig.length !== 2 * half) {
    throw new RangeError("P1363 signature length must be even");
  }
  const r = integerContent(sig.subarray(0, half));
  const s = integerContent(sig.subarray(half));
  const body = 2 + r.length + 2 + s.length;
  const out = new Uint8Array(body + (body < 0x80 ? 2 : 3));
  out[0] = 0x30;
  let at = putLength(out, 1, body);
  for (const v of [r, s]) {
    out[at] = 0x02;
    out[at + 1] = v.length; // at most 67 bytes, always short form
    out.set(v, at + 2);
    at += 2 + v.length;
  }
  return out;
}

/** Reads a minimal DER length at `at`; returns [length, next] or null. */
function getLength(der: Uint8Array, at: number): [number, number] | null {
  if (at >= der.length) return null;
  const b = der[at];
  if (b < 0x80) return [b, at + 1];
  if (b !== 0x81 || at + 1 >= der.length) return null;
  const len = der[at + 1];
  return len < 0x80 ? null : [len, at + 2];
}

/**
 * Converts a DER ECDSA signature to P1363 `r || s`, each half `size` bytes.
 * Only strict DER is accepted: minimal lengths and integers, no negative
 * values, no trailing bytes.
 *
 * @param der the DER signature
 * @param size the curve's field size in bytes (32, 48 or 66)
 * @returns the raw signature, or `null` when `der` is malformed
 */
export function derToP1363(der: Uint8Array, size: number): Uint8Array | null {
  if (der.length < 2 || der[0] !== 0x30) return null;
  const seq = getLength(der, 1);
  if (!seq || seq[1] + seq[0] !== der.length) return null;
  const out = new Uint8Array(2 * size);
  let at = seq[1];
  for (let part = 0; part < 2; part++) {
    if (at >= der.length || der[at] !== 0x02) return null;
    const hdr = getLength(der, at + 1);
    if (!hdr) return null;
    const [len, start] = hdr;
    const end = start + len;
    if (len === 0 || end > der.length) return null;
    if (der[start] & 0x80) return null; // negative
    if (der[start] === 0 && len > 1 && !(der[start + 1] & 0x80)) return null;
    let v = der.subarray(start, end);
    if (v[0] === 0 && v.length > 1) v = v.subarray(1);
    if (v.length > size) return null;
    out.set(v, (part + 1) * size - v.length);
    at = end;
  }
  return at === der.length ? out : null;
}
