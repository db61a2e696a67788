/**
 * Members' PublicMessage proposals and commits, checked against the public
 * state (RFC 9420 §6.1, §12.1, §12.2, §12.4.2) for groups whose handshakes
 * must be public: the sender is a member leaf of the current tree whose
 * signature key is the poster's client id, and the FramedContent signature
 * verifies under that leaf's key. A proposal is kept under its ProposalRef
 * (§5.2) so that a commit of the same epoch can reference it; a commit's
 * references are resolved from those kept proposals, and the commit is
 * verified and applied (`commit_verify.ts`).
 *
 * @module
 */

import { ContentType } from "../../src/framing/content_type.ts";
import type { PublicMessage } from "../../src/framing/public_message.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { verifyFramedContent } from "../../src/framing/sign.ts";
import {
  proposalRef,
  type ProposalWithSender,
} from "../../src/group/proposals.ts";
import { ProposalOrRefType } from "../../src/messages/commit.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { checkGroupAndEpoch } from "../../src/framing/context_input.ts";
import { toHex } from "../../src/util/bytes.ts";
import { ApiError } from "../errors.ts";
import {
  authenticated,
  type NextPublicState,
  verifyCommit,
} from "./commit_verify.ts";
import type { PublicState } from "./public_state.ts";
import { refusal, refusing } from "./refusals.ts";

/** Resolves a ProposalRef (hex) kept for the current epoch. */
export type ProposalLookup = (
  ref: string,
) => Promise<ProposalWithSender | undefined>;

/** The sender's leaf index; its key must be the poster's (403 otherwise). */
function senderLeaf(
  state: PublicState,
  pm: PublicMessage,
  poster: string,
  code: "invalid_commit" | "invalid_proposal",
): number {
  const sender = pm.content.sender;
  if (sender.senderType !== SenderType.member) {
    throw refusal(code, "invalid_sender", "not a member sender");
  }
  const leaf = state.tree.getLeaf(sender.leafIndex);
  if (!leaf) {
    throw refusal(code, "invalid_sender", "the sender leaf is blank");
  }
  if (toHex(leaf.signatureKey) !== poster) {
    throw new ApiError(
      403,
      "signer_mismatch",
      "the sender leaf is not the poster's",
    );
  }
  return sender.leafIndex;
}

/**
 * Verifies a member's PublicMessage proposal; returns its ProposalRef
 * (hex). Throws `400 invalid_proposal` or `403 signer_mismatch`.
 */
export async function verifyMemberProposal(
  state: PublicState,
  pm: PublicMessage,
  poster: string,
): Promise<string> {
  const leaf = senderLeaf(state, pm, poster, "invalid_proposal");
  return await refusing("invalid_proposal", async () => {
    const content = pm.content;
    checkGroupAndEpoch(state.contextBytes, content.groupId, content.epoch);
    if (content.contentType !== ContentType.proposal) {
      throw refusal("invalid_proposal", "wrong_content_type", "not a proposal");
    }
    if (content.proposal.proposalType === ProposalType.externalInit) {
      throw refusal(
        "invalid_proposal",
        "invalid_proposal",
        "ExternalInit only travels inside an external commit",
      );
    }
    const auth = authenticated(pm);
    const key = state.tree.getLeaf(leaf)!.signatureKey;
    await verifyFramedContent(state.cs, auth, key, state.contextBytes);
    return toHex(await proposalRef(state.cs, auth));
  });
}

/**
 * Verifies a member's PublicMessage commit, resolving its references with
 * `lookup`; returns the state it leads to. Throws `400 invalid_commit`
 * (with a `reason`) or `403 signer_mismatch`.
 */
export async function verifyMemberCommit(
  state: PublicState,
  pm: PublicMessage,
  poster: string,
  lookup: ProposalLookup,
  now: Date,
): Promise<NextPublicState> {
  const committer = senderLeaf(state, pm, poster, "invalid_commit");
  const content = pm.content;
  if (content.contentType !== ContentType.commit) {
    throw refusal("invalid_commit", "wrong_content_type", "not a commit");
  }
  const list: ProposalWithSender[] = [];
  for (const [i, p] of content.commit.proposals.entries()) {
    if (p.type === ProposalOrRefType.proposal) {
      list.push({ proposal: p.proposal, sender: content.sender });
      continue;
    }
    const found = await lookup(toHex(p.reference));
    if (!found) {
      throw refusal(
        "invalid_commit",
        "unknown_proposal",
        `proposals[${i}] references a proposal this service did not accept`,
      );
    }
    list.push(found);
  }
  return await verifyCommit(state, pm, committer, list, now);
}
