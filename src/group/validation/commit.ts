/**
 * The rules of a received Commit beyond its proposal list (RFC 9420 §12.4,
 * §12.4.2, §12.4.3.2): which proposals it covers, whether it must carry a
 * path, who may commit, and the credential of the committer's new leaf.
 *
 * @module
 */

import { type Sender, SenderType } from "../../framing/sender.ts";
import { type Commit, ProposalOrRefType } from "../../messages/commit.ts";
import { ProposalType } from "../../messages/proposal.ts";
import type { UpdatePath } from "../../messages/update_path.ts";
import { toHex } from "../../util/bytes.ts";
import { rule } from "../../util/rule.ts";
import type { ProposalWithSender } from "../proposals.ts";
import type { GroupState } from "../state.ts";
import type { ValidationContext } from "./context.ts";
import { checkCredential } from "./credential.ts";

/** Proposal types a Commit must carry a path for (§12.4). */
const PATH_REQUIRED = new Set<number>([
  ProposalType.update,
  ProposalType.remove,
  ProposalType.externalInit,
  ProposalType.groupContextExtensions,
]);

/** Whether a Commit covering `proposals` must include an UpdatePath (§12.4). */
export function pathRequired(
  proposals: readonly ProposalWithSender[],
): boolean {
  return proposals.length === 0 ||
    proposals.some((p) => PATH_REQUIRED.has(p.proposal.proposalType));
}

/**
 * Who may send a commit (§12.4.2, §12.4.3.2): a member, or a joiner
 * (`new_member_commit`). Returns the committer's leaf, `undefined` for an
 * external commit.
 */
export function committerOf(sender: Sender, me: number): number | undefined {
  rule(
    "§12.4.3.2",
    "invalid_sender",
    sender.senderType === SenderType.member ||
      sender.senderType === SenderType.newMemberCommit,
    "commits come from members or joiners",
    "sender",
  );
  if (sender.senderType !== SenderType.member) return undefined;
  rule(
    "§12.4.2",
    "own_commit",
    sender.leafIndex !== me,
    "this is our own commit: apply the pending commit instead",
    "sender",
  );
  return sender.leafIndex;
}

/**
 * The proposals a commit covers, in order: by value (sent by the
 * committer) or by reference to a proposal received this epoch (§12.4).
 * An external commit may not reference any (§12.4.3.2).
 */
export function resolveProposals(
  state: GroupState,
  commit: Commit,
  sender: Sender,
): ProposalWithSender[] {
  return commit.proposals.map((p, i) => {
    if (p.type === ProposalOrRefType.proposal) {
      return { proposal: p.proposal, sender };
    }
    const f = `commit.proposals[${i}]`;
    rule(
      "§12.4.3.2",
      "invalid_external_commit",
      sender.senderType === SenderType.member,
      "an external commit cannot reference proposals",
      f,
    );
    const found = state.proposals.get(toHex(p.reference));
    rule(
      "§12.4",
      "unknown_proposal",
      found !== undefined,
      "the commit references a proposal we have not received",
      f,
    );
    return found;
  });
}

/**
 * The path of a received commit (§12.4, §12.4.2, §12.4.3.2, §12.2):
 * present when required (always for an external commit), and its leaf's
 * credential accepted by the application (§5.3.1): as a successor of the
 * committer's, or — for an external commit that removes a leaf (a resync)
 * — of the removed member's (§12.2: by default only the joiner's own old
 * leaf, same identity, may be removed).
 */
export async function validateCommitPath(
  ctx: ValidationContext,
  list: readonly ProposalWithSender[],
  committer: number | undefined,
  path: UpdatePath | undefined,
): Promise<void> {
  rule(
    "§12.4",
    "missing_path",
    path !== undefined || !pathRequired(list),
    "this commit requires an UpdatePath",
    "commit.path",
  );
  if (!path) return;
  const leaf = path.leafNode;
  const groupId = ctx.context.groupId;
  const field = "commit.path.leafNode.credential";
  if (committer !== undefined) {
    await checkCredential(ctx.validateCredential, {
      event: "commit",
      credential: leaf.credential,
      signatureKey: leaf.signatureKey,
      previous: ctx.tree.getLeaf(committer)?.credential,
      groupId,
    }, field);
    return;
  }
  const remove = list.find((p) =>
    p.proposal.proposalType === ProposalType.remove
  )
    ?.proposal;
  const removed = remove?.proposalType === ProposalType.remove
    ? ctx.tree.getLeaf(remove.removed)
    : undefined;
  await checkCredential(
    ctx.validateCredential,
    {
      event: "external_commit",
      credential: leaf.credential,
      signatureKey: leaf.signatureKey,
      previous: removed?.credential,
      groupId,
    },
    field,
    removed ? "§12.2" : "§5.3.1",
    removed ? "invalid_resync" : "invalid_credential",
  );
}
