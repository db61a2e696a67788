/**
 * The `@noble/curves` fallback of the HPKE provider's P-curve KEMs, for
 * runtimes (Firefox) that import an ECDH private key from PKCS#8 without
 * its public key but then refuse to export it as JWK, which is how the
 * provider otherwise learns the public key. The private scalar comes out of
 * the PKCS#8 bytes (RFC 5208 §5, RFC 5915 §3) and `@noble/curves` computes
 * its public key; everything else stays on WebCrypto.
 *
 * @module
 */

import { p256, p384, p521 } from "@noble/curves/nist.js";

const CURVES: Record<number, typeof p256> = {
  0x0010: p256,
  0x0011: p384,
  0x0012: p521,
};

/**
 * `SerializePublicKey` (uncompressed point, RFC 9180 §7.1.1) of a P-curve
 * KEM's private scalar, computed by `@noble/curves`.
 *
 * @param kem the HPKE KEM id (0x0010–0x0012)
 * @param scalar the big-endian private scalar, `Nsk` octets
 * @returns `0x04 || x || y`
 */
export function ecPublicOfScalar(kem: number, scalar: Uint8Array): Uint8Array {
  const curve = CURVES[kem];
  if (!curve) throw new RangeError(`not a P-curve KEM: ${kem}`);
  return curve.getPublicKey(scalar, false);
}

/** Reads one DER element at `at`: its tag, content bounds and end. */
function element(
  der: Uint8Array,
  at: number,
  end: number,
): { tag: number; start: number; end: number } {
  if (at + 2 > end) throw new RangeError("truncated DER");
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // PKCS#8 of a P-521 key is a few hundred octets: two length octets suffice.
    if (n === 0 || n > 2 || start + n > end) throw new RangeError("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | der[start + i];
    start += n;
  }
  if (start + len > end) throw new RangeError("truncated DER");
  return { tag, start, end: start + len };
}

/**
 * The private scalar inside an EC `PrivateKeyInfo` (PKCS#8): the
 * `privateKey` OCTET STRING of its `ECPrivateKey`, left-padded to `length`.
 *
 * @param pkcs8 the DER bytes
 * @param length `Nsk`
 * @returns a copy of the scalar
 */
export function ecScalarOfPkcs8(
  pkcs8: Uint8Array,
  length: number,
): Uint8Array {
  const outer = element(pkcs8, 0, pkcs8.length);
  if (outer.tag !== 0x30 || outer.end !== pkcs8.length) {
    throw new RangeError("not a PrivateKeyInfo");
  }
  const version = element(pkcs8, outer.start, outer.end);
  const algorithm = element(pkcs8, version.end, outer.end);
  const octets = element(pkcs8, algorithm.end, outer.end);
  if (version.tag !== 0x02 || algorithm.tag !== 0x30 || octets.tag !== 0x04) {
    throw new RangeError("not a PrivateKeyInfo");
  }
  const ecKey = element(pkcs8, octets.start, octets.end);
  const ecVersion = element(pkcs8, ecKey.start, ecKey.end);
  const scalar = element(pkcs8, ecVersion.end, ecKey.end);
  if (ecKey.tag !== 0x30 || ecVersion.tag !== 0x02 || scalar.tag !== 0x04) {
    throw new RangeError("not an ECPrivateKey");
  }
  const raw = pkcs8.subarray(scalar.start, scalar.end);
  if (raw.length > length || raw.length === 0) {
    throw new RangeError("bad EC private key length");
  }
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}
