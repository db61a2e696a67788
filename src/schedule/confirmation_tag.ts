/**
 * The confirmation tag (RFC 9420 §6.1, §8.2):
 * `confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)`.
 * The transcript hashes themselves are `framing/transcript_hash.ts`.
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { constantTimeEqual } from "../util/bytes.ts";

/** `confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)`. */
export function confirmationTag(
  cs: SuiteCrypto,
  confirmationKey: Uint8Array,
  confirmedTranscriptHash: Uint8Array,
): Promise<Uint8Array> {
  return cs.mac(confirmationKey, confirmedTranscriptHash);
}

/**
 * Whether `tag` is the confirmation tag for `confirmedTranscriptHash`,
 * compared in constant time.
 */
export async function verifyConfirmationTag(
  cs: SuiteCrypto,
  confirmationKey: Uint8Array,
  confirmedTranscriptHash: Uint8Array,
  tag: Uint8Array,
): Promise<boolean> {
  const expected = await cs.mac(confirmationKey, confirmedTranscriptHash);
  return constantTimeEqual(expected, tag);
}
