/**
 * What this member's own commits and proposals hand out: the
 * `CommitOutput` and `ProposalOutput` of the Web API, from what the group
 * layer created.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import {
  type CreatedCommit,
  groupInfoMessage,
  welcomeMessage,
} from "../group/commit.ts";
import type { SentOwnProposal } from "../group/propose.ts";
import type { GroupState } from "../group/state.ts";
import { ratchetTreeCodec } from "../messages/ratchet_tree.ts";
import { toHex } from "../util/bytes.ts";
import { proposalInfo } from "./convert.ts";
import type { CommitOutput, ProposalOutput } from "./types.ts";

/**
 * The `CommitOutput` of a commit created on `base` (the state it was
 * made in, which names the proposals it dropped).
 *
 * @example
 * ```ts ignore
 * const out = commitOutput(await createCommit(state), state);
 * ```
 */
export function commitOutput(c: CreatedCommit, base: GroupState): CommitOutput {
  const dropped = c.dropped.map((d) => ({
    proposal: proposalInfo(base.tree, d.proposal.proposal, d.proposal.sender),
    error: d.error,
  }));
  return {
    type: "commit",
    commit: encode(mlsMessageCodec, c.message),
    welcome: c.welcome
      ? encode(mlsMessageCodec, welcomeMessage(c.welcome))
      : undefined,
    groupInfo: encode(mlsMessageCodec, groupInfoMessage(c.groupInfo)),
    ratchetTree: encode(ratchetTreeCodec, c.state.tree.toNodes()),
    epoch: c.state.context.epoch,
    ...(dropped.length > 0 ? { dropped } : {}),
  };
}

/**
 * The `ProposalOutput` of a proposal this member made.
 *
 * @example
 * ```ts ignore
 * const out = proposalOutput(await proposeUpdate(state));
 * ```
 */
export function proposalOutput(sent: SentOwnProposal): ProposalOutput {
  return {
    type: "proposal",
    proposal: encode(mlsMessageCodec, sent.message),
    ref: toHex(sent.ref),
  };
}
