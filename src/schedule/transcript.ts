/**
 * Transcript hashes and the confirmation tag (RFC 9420 §8.2, §6.1):
 *
 * ```text
 * confirmed_transcript_hash_[n] =
 *     Hash(interim_transcript_hash_[n-1] || ConfirmedTranscriptHashInput_[n])
 * interim_transcript_hash_[n] =
 *     Hash(confirmed_transcript_hash_[n] || InterimTranscriptHashInput_[n])
 * confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)
 * ```
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import type { AuthenticatedContent } from "../framing/authenticated_content.ts";
import { ContentType } from "../framing/content_type.ts";
import { framedContentCodec } from "../framing/framed_content.ts";
import { wireFormatCodec } from "../framing/wire_format.ts";
import { constantTimeEqual } from "../util/bytes.ts";

/** The two transcript hashes of an epoch. */
export interface TranscriptHashes {
  /** `confirmed_transcript_hash`: goes into the GroupContext. */
  confirmed: Uint8Array;
  /** `interim_transcript_hash`: the input to the next epoch's. */
  interim: Uint8Array;
}

/**
 * `confirmed_transcript_hash_[n]` from the previous interim hash and the
 * AuthenticatedContent of the Commit that starts epoch n. Its
 * ConfirmedTranscriptHashInput (`wire_format`, `content`, `signature`) is
 * encoded right after the interim hash, into one buffer.
 */
export async function confirmedTranscriptHash(
  cs: SuiteCrypto,
  interimBefore: Uint8Array,
  commit: AuthenticatedContent,
): Promise<Uint8Array> {
  if (commit.content.contentType !== ContentType.commit) {
    throw new MlsError(
      "wrong_content_type",
      "transcript hashes cover commits only",
    );
  }
  const w = new Writer(interimBefore.length + 512);
  w.bytes(interimBefore);
  wireFormatCodec.encode(w, commit.wireFormat);
  framedContentCodec.encode(w, commit.content);
  w.opaque(commit.auth.signature);
  return await cs.hash(w.finish());
}

/**
 * `interim_transcript_hash_[n]`: the confirmed hash followed by
 * InterimTranscriptHashInput (`MAC confirmation_tag`, an `opaque<V>`).
 */
export function interimTranscriptHash(
  cs: SuiteCrypto,
  confirmed: Uint8Array,
  confirmationTag: Uint8Array,
): Promise<Uint8Array> {
  const w = new Writer(confirmed.length + confirmationTag.length + 4);
  w.bytes(confirmed);
  w.opaque(confirmationTag);
  return cs.hash(w.finish());
}

/**
 * Both transcript hashes after a Commit whose AuthenticatedContent carries
 * its confirmation tag (the receiving side, or the sender once the tag is
 * computed).
 */
export async function updateTranscriptHashes(
  cs: SuiteCrypto,
  interimBefore: Uint8Array,
  commit: AuthenticatedContent,
): Promise<TranscriptHashes> {
  const tag = commit.auth.confirmationTag;
  if (tag === undefined) {
    throw new MlsError(
      "invalid_value",
      "commit has no confirmation tag",
      "AuthenticatedContent.auth.confirmationTag",
    );
  }
  const confirmed = await confirmedTranscriptHash(cs, interimBefore, commit);
  const interim = await interimTranscriptHash(cs, confirmed, tag);
  return { confirmed, interim };
}

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
