/**
 * The `ProposalInfo` of a proposal with the details that need more than
 * the tree: the extensions a GroupContextExtensions proposal sets (RFC
 * 9420 §12.1.7), so that `receive()` reports them and an `authorize` hook
 * can refuse, say, an unknown external sender.
 *
 * @module
 */

import type { Sender } from "../framing/sender.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import { proposalInfo } from "./convert.ts";
import { groupExtensionsOf } from "./group_extensions.ts";
import type { ProposalInfo } from "./types.ts";

/**
 * `proposalInfo`, with `extensions` for a GroupContextExtensions proposal.
 *
 * @example
 * ```ts ignore
 * const info = describeProposal(state.tree, proposal, sender);
 * ```
 */
export function describeProposal(
  tree: RatchetTree,
  proposal: Proposal,
  sender: Sender,
): ProposalInfo {
  const info = proposalInfo(tree, proposal, sender);
  if (proposal.proposalType !== ProposalType.groupContextExtensions) {
    return info;
  }
  return {
    kind: "group_context_extensions",
    extensions: groupExtensionsOf(proposal.extensions),
  };
}
