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
const EMPTY = new Uint8Array(0);

/**
 * `Hash("")` per suite object: the context most exports use, so most
 * exports need no digest call.
 */
const emptyHashes = new WeakMap<SuiteCrypto, Promise<Uint8Array>>();

function contextHash(
  cs: SuiteCrypto,
  context: Uint8Array,
): Promise<Uint8Array> {
  if (context.length > 0) return cs.hash(context);
  let h = emptyHashes.get(cs);
  if (!h) {
    h = cs.hash(EMPTY);
    emptyHashes.set(cs, h);
    h.catch(() => {
      if (emptyHashes.get(cs) === h) emptyHashes.delete(cs);
    });
  }
  return h;
}

/**
 * The DeriveSecret KDFLabel of an exporter label, followed by the HMAC
 * block counter 0x01: the HKDF input keying material of the one-call
 * derivation below. Public bytes (they depend on the label and `Nh` only);
 * the same buffer is returned for the same label, so a provider that caches
 * its imported HKDF key per buffer (the WebCrypto one) imports it once.
 * Bounded: the least recently used labels are dropped first.
 */
const ikms = new Map<string, Uint8Array>();
const MAX_IKMS = 64;

function exporterIkm(nh: number, label: Uint8Array): Uint8Array {
  let k = `${nh}:`;
  for (let i = 0; i < label.length; i++) k += String.fromCharCode(label[i]);
  const hit = ikms.get(k);
  if (hit) {
    ikms.delete(k);
    ikms.set(k, hit);
    return hit;
  }
  const w = new Writer(PREFIX.length + label.length + 9);
  w.u16(nh);
  w.varint(PREFIX.length + label.length);
  w.bytes(PREFIX);
  w.bytes(label);
  w.varint(0);
  w.u8(1);
  const ikm = w.finish();
  ikms.set(k, ikm);
  if (ikms.size > MAX_IKMS) ikms.delete(ikms.keys().next().value!);
  return ikm;
}

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
  const nh = cs.hashLength;
  if (cs.kdfExtractExpand) {
    // DeriveSecret yields one HMAC block, HMAC(exporter_secret, KDFLabel ||
    // 0x01), which is HKDF-Extract(salt = exporter_secret, ikm = KDFLabel ||
    // 0x01); the outer ExpandWithLabel is then its HKDF-Expand: one HKDF
    // call after the context's hash, and the derived secret never exists
    // outside the provider. The input keying material is public and reused
    // per label, so its import is cached; the secret is only the salt.
    const ikm = exporterIkm(nh, l);
    return await cs.kdfExtractExpand(
      exporterSecret,
      ikm,
      kdfLabel("exported", await contextHash(cs, context), length),
      length,
    );
  }
  // DeriveSecret(exporter_secret, Label) with a byte-string label (§8):
  // its KDFLabel.
  const w = new Writer(PREFIX.length + l.length + 8);
  w.u16(nh);
  w.varint(PREFIX.length + l.length);
  w.bytes(PREFIX);
  w.bytes(l);
  w.varint(0);
  const deriveInfo = w.finish();
  const [derived, contextHashValue] = await Promise.all([
    cs.kdfExpand(exporterSecret, deriveInfo, nh),
    contextHash(cs, context),
  ]);
  try {
    return await expandWithLabel(
      cs,
      derived,
      "exported",
      contextHashValue,
      length,
    );
  } finally {
    wipe(derived);
  }
}
