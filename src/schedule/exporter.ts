/**
 * The MLS exporter (RFC 9420 §8.5):
 *
 * ```text
 * MLS-Exporter(Label, Context, Length) =
 *   ExpandWithLabel(DeriveSecret(exporter_secret, Label),
 *                   "exported", Hash(Context), Length)
 * ```
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { Writer } from "../codec/writer.ts";
import { expandWithLabel, kdfLabel } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import { utf8Encode, wipe } from "../util/bytes.ts";

const PREFIX = utf8Encode("MLS 1.0 ");

/**
 * `MLS-Exporter(label, context, length)` from an epoch's `exporter_secret`.
 * The label is a string (UTF-8 encoded) or raw bytes, as the interop
 * vectors give it; `length` is at most 65535 (a uint16 in KDFLabel).
 */
export async function mlsExporter(
  cs: SuiteCrypto,
  exporterSecret: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new MlsError("invalid_argument", "exporter length not a uint16");
  }
  const l = typeof label === "string" ? utf8Encode(label) : label;
  // DeriveSecret(exporter_secret, Label) with a byte-string label (§8):
  // its KDFLabel.
  const nh = cs.hashLength;
  const w = new Writer(PREFIX.length + l.length + 8);
  w.u16(nh);
  w.varint(PREFIX.length + l.length);
  w.bytes(PREFIX);
  w.bytes(l);
  w.varint(0);
  const deriveInfo = w.finish();
  if (cs.kdfExtractExpand) {
    // DeriveSecret yields one HMAC block, HMAC(exporter_secret, KDFLabel ||
    // 0x01), which is HKDF-Extract(salt = exporter_secret, ikm = KDFLabel ||
    // 0x01); the outer ExpandWithLabel is then its HKDF-Expand: one HKDF
    // call, and the derived secret never exists outside the provider.
    const ikm = new Uint8Array(deriveInfo.length + 1);
    ikm.set(deriveInfo);
    ikm[deriveInfo.length] = 1;
    return await cs.kdfExtractExpand(
      exporterSecret,
      ikm,
      kdfLabel("exported", await cs.hash(context), length),
      length,
    );
  }
  const [derived, contextHash] = await Promise.all([
    cs.kdfExpand(exporterSecret, deriveInfo, nh),
    cs.hash(context),
  ]);
  try {
    return await expandWithLabel(cs, derived, "exported", contextHash, length);
  } finally {
    wipe(derived);
  }
}
