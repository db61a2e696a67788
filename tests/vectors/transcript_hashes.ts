// transcript-hashes.json: confirmation tag and transcript hash updates
// (RFC 9420 §8.2).
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { decode } from "../../src/codec/codec.ts";
import { authenticatedContentCodec } from "../../src/framing/authenticated_content.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { updateTranscriptHashes } from "../../src/framing/transcript_hash.ts";
import { verifyConfirmationTag } from "../../src/schedule/confirmation_tag.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface TranscriptHashesVector {
  cipher_suite: number;
  confirmation_key: string;
  authenticated_content: string;
  interim_transcript_hash_before: string;
  confirmed_transcript_hash_after: string;
  interim_transcript_hash_after: string;
}

/** Checks one transcript-hashes entry. */
export async function check(v: TranscriptHashesVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const ac = decode(
    authenticatedContentCodec,
    fromHex(v.authenticated_content),
    "AuthenticatedContent",
  );
  assert.equal(ac.content.contentType, ContentType.commit, "not a commit");
  const confirmedAfter = fromHex(v.confirmed_transcript_hash_after);
  assert.ok(
    await verifyConfirmationTag(
      cs,
      fromHex(v.confirmation_key),
      confirmedAfter,
      ac.auth.confirmationTag!,
    ),
    "confirmation_tag",
  );
  const h = await updateTranscriptHashes(
    cs,
    fromHex(v.interim_transcript_hash_before),
    ac,
  );
  assert.equal(
    toHex(h.confirmed),
    v.confirmed_transcript_hash_after,
    "confirmed_transcript_hash_after",
  );
  assert.equal(
    toHex(h.interim),
    v.interim_transcript_hash_after,
    "interim_transcript_hash_after",
  );
}
