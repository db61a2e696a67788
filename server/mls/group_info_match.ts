/**
 * The last step of verifying a commit: the GroupInfo posted with it must
 * describe exactly the state the commit leads to (RFC 9420 §12.4.3), since
 * the service stores that GroupInfo as the group's public state and hands
 * it to the next external joiner. A GroupInfo that does not match — a
 * forged group under the same id, another tree, another transcript — is
 * refused, so it never replaces the group.
 *
 * @module
 */

import { encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { checkUniqueExtensions } from "../../src/group/group_info.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import { bytesEqual } from "../../src/util/bytes.ts";
import { badRequest } from "../errors.ts";
import type { NextPublicState } from "./commit_verify.ts";
import type { PublicState } from "./public_state.ts";
import { commitMismatch } from "./refusals.ts";

/**
 * Checks `gi` against `next`. The GroupInfo was verified already (its
 * signature under its signer's leaf in the tree it carries, whose hash is
 * its context's `tree_hash`), so an equal GroupContext means an equal tree.
 * Throws `400 commit_mismatch` with what differs as `reason`.
 */
export function checkGroupInfoMatches(
  gi: GroupInfo,
  next: NextPublicState,
): void {
  try {
    checkUniqueExtensions(gi.extensions, "GroupInfo.extensions");
  } catch (e) {
    if (e instanceof MlsError) {
      throw badRequest("invalid_group_info", e.message);
    }
    throw e;
  }
  const got = gi.groupContext;
  const want = next.context;
  if (got.epoch !== want.epoch) throw commitMismatch("epoch");
  if (!bytesEqual(got.treeHash, want.treeHash)) {
    throw commitMismatch("tree_hash");
  }
  if (!bytesEqual(got.confirmedTranscriptHash, want.confirmedTranscriptHash)) {
    throw commitMismatch("confirmed_transcript_hash");
  }
  // Everything else: version, suite, group id, extensions.
  if (
    !bytesEqual(
      encode(groupContextCodec, got),
      encode(groupContextCodec, want),
    )
  ) {
    throw commitMismatch("group_context");
  }
  if (!bytesEqual(gi.confirmationTag, next.confirmationTag)) {
    throw commitMismatch("confirmation_tag");
  }
  if (gi.signer !== next.committer) throw commitMismatch("signer");
}

/**
 * A republished GroupInfo (same epoch) must describe the same public
 * state: the same GroupContext (hence tree) and confirmation tag. Throws
 * `400 group_mismatch`.
 */
export function checkSameState(gi: GroupInfo, state: PublicState): void {
  if (
    !bytesEqual(encode(groupContextCodec, gi.groupContext), state.contextBytes)
  ) {
    throw badRequest("group_mismatch", "the GroupInfo's GroupContext differs");
  }
  if (!bytesEqual(gi.confirmationTag, state.confirmationTag)) {
    throw badRequest("group_mismatch", "the GroupInfo's confirmation differs");
  }
}
