/**
 * Transcript hashes (RFC 9420 §8.2), over the `ConfirmedTranscriptHashInput`
 * and `InterimTranscriptHashInput` codecs of `transcript_hash_input.ts`:
 *
 * ```text
 * confirmed_transcript_hash_[n] =
 *     Hash(interim_transcript_hash_[n-1] || ConfirmedTranscriptHashInput_[n])
 * interim_transcript_hash_[n] =
 *     Hash(confirmed_transcript_hash_[n] || InterimTranscriptHashInput_[n])
 * ```
 *
 * The confirmation tag that enters the interim hash is
 * `schedule/confirmation_tag.ts`.
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import type { AuthenticatedContent } from "./authenticated_content.ts";
import {
  confirmedTranscriptHashInputCodec,
  interimTranscriptHashInputCodec,
} from "./transcript_hash_input.ts";

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
 * encoded right after the interim hash, into one buffer; content that is
 * not a commit is `wrong_content_type`.
 */
export async function confirmedTranscriptHash(
  cs: SuiteCrypto,
  interimBefore: Uint8Array,
  commit: AuthenticatedContent,
): Promise<Uint8Array> {
  const w = new Writer(interimBefore.length + 512);
  w.bytes(interimBefore);
  confirmedTranscriptHashInputCodec.encode(w, {
    wireFormat: commit.wireFormat,
    content: commit.content,
    signature: commit.auth.signature,
  });
  return await cs.hash(w.finish());
}

/**
 * `interim_transcript_hash_[n]`: the confirmed hash followed by
 * InterimTranscriptHashInput (`MAC confirmation_tag`).
 */
export function interimTranscriptHash(
  cs: SuiteCrypto,
  confirmed: Uint8Array,
  confirmationTag: Uint8Array,
): Promise<Uint8Array> {
  const w = new Writer(confirmed.length + confirmationTag.length + 4);
  w.bytes(confirmed);
  interimTranscriptHashInputCodec.encode(w, { confirmationTag });
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
