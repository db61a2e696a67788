/**
 * External commits (RFC 9420 §12.4.3.2) as the service accepts them from
 * anyone, member or not: a PublicMessage from a `new_member_commit`
 * sender, with a path whose leaf carries the poster's own signature key
 * (the service's client id), and only the proposals §12.2 allows an
 * external commit: exactly one ExternalInit, at most one Remove — and, as
 * this service's identity rule for "an old version of themselves", only of
 * a leaf with that same signature key (a resync) — and PreSharedKeys, all
 * by value. Then the commit is verified and applied like any other
 * (`commit_verify.ts`).
 *
 * @module
 */

import { ContentType } from "../../src/framing/content_type.ts";
import type { PublicMessage } from "../../src/framing/public_message.ts";
import type { ProposalWithSender } from "../../src/group/proposals.ts";
import { ProposalOrRefType } from "../../src/messages/commit.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { bytesEqual, toHex } from "../../src/util/bytes.ts";
import { ApiError } from "../errors.ts";
import { type NextPublicState, verifyCommit } from "./commit_verify.ts";
import type { PublicState } from "./public_state.ts";
import { refusal } from "./refusals.ts";

function invalid(message: string): ApiError {
  return refusal("invalid_commit", "invalid_external_commit", message);
}

/**
 * Checks external commit `pm`, posted by client `poster`, against `state`
 * and returns the state it leads to. Throws `400 invalid_commit` (with a
 * `reason`) or `403 signer_mismatch`.
 */
export async function verifyExternalCommit(
  state: PublicState,
  pm: PublicMessage,
  poster: string,
  now: Date,
): Promise<NextPublicState> {
  const content = pm.content;
  if (content.contentType !== ContentType.commit) {
    throw invalid("a new_member_commit sender sends commits only");
  }
  const path = content.commit.path;
  if (!path) throw invalid("an external commit must carry a path");
  const key = path.leafNode.signatureKey;
  if (toHex(key) !== poster) {
    throw new ApiError(
      403,
      "signer_mismatch",
      "the joiner's leaf must carry the poster's signature key",
    );
  }
  // The §12.2 rules for an external commit's list (one ExternalInit, at
  // most one Remove, PSKs) are the library's, applied by verifyCommit. The
  // service adds its own policy: a Remove only of the joiner's own earlier
  // leaf (same client id), i.e. a resync.
  const list: ProposalWithSender[] = content.commit.proposals.map((p, i) => {
    if (p.type !== ProposalOrRefType.proposal) {
      throw invalid(`proposals[${i}]: no proposals by reference`);
    }
    const { proposal } = p;
    if (proposal.proposalType === ProposalType.remove) {
      const old = state.tree.getLeaf(proposal.removed);
      if (!old || !bytesEqual(old.signatureKey, key)) {
        throw invalid(`proposals[${i}]: removes someone else`);
      }
    }
    return { proposal, sender: content.sender };
  });
  return await verifyCommit(state, pm, undefined, list, now);
}
