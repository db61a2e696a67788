/**
 * The PSK secret (RFC 9420 §8.4): the pre-shared keys of a Commit or
 * GroupSecrets, chained in order into one `psk_secret` for the key
 * schedule.
 *
 * ```text
 * psk_extracted_[i] = KDF.Extract(0, psk_[i])
 * psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk",
 *                                     PSKLabel(id, i, n), KDF.Nh)
 * psk_secret_[0]    = 0
 * psk_secret_[i]    = KDF.Extract(psk_input_[i-1], psk_secret_[i-1])
 * ```
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { encode } from "../codec/codec.ts";
import { expandWithLabel } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import { type PreSharedKeyID, pskLabelCodec } from "../messages/psk.ts";
import { wipe } from "../util/bytes.ts";

/** One PSK to inject: its identifier and its value. */
export interface PskInput {
  /** The PreSharedKeyID as listed in the Commit or GroupSecrets. */
  id: PreSharedKeyID;
  /** The PSK value (external PSK, or a `resumption_psk`). */
  psk: Uint8Array;
}

/**
 * `psk_secret` for `psks` in the order given (§8.4); `KDF.Nh` zero bytes
 * for an empty list. Input buffers are not modified.
 */
export async function derivePskSecret(
  cs: SuiteCrypto,
  psks: readonly PskInput[],
): Promise<Uint8Array> {
  const nh = cs.hashLength;
  const zero = new Uint8Array(nh);
  const count = psks.length;
  if (count === 0) return zero;
  if (count > 0xffff) {
    throw new MlsError("invalid_argument", "too many PSKs for PSKLabel");
  }
  // The per-PSK inputs are independent: derive them all at once.
  const inputs = await Promise.all(psks.map(async ({ id, psk }, index) => {
    const extracted = await cs.kdfExtract(zero, psk);
    try {
      const label = encode(pskLabelCodec, { id, index, count });
      return await expandWithLabel(cs, extracted, "derived psk", label, nh);
    } finally {
      wipe(extracted);
    }
  }));
  let secret: Uint8Array = zero;
  for (const input of inputs) {
    const next = await cs.kdfExtract(input, secret);
    wipe(input);
    wipe(secret);
    secret = next;
  }
  return secret;
}
