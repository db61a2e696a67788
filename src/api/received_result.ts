/**
 * What `receive()` and `applyPendingCommit()` return (`Received`, a union
 * on `type`) from what the group layer made of a message (its own
 * `Received`, a union on `kind`): the one place where senders, proposals
 * and commit summaries become the Web API's members and `ProposalInfo`s.
 * A commit reports from the group layer's commit summary, for others'
 * commits and ours alike (ours stored with the pending commit), so that
 * both report the same members.
 *
 * @module
 */

import type { CommitSummary } from "../group/commit.ts";
import type { ReceiveResult as GroupReceived } from "../group/receive.ts";
import type { GroupState } from "../group/state.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import { utf8Decode } from "../util/bytes.ts";
import { memberAt, membersOf, senderInfo } from "./convert.ts";
import { describeProposal } from "./proposal_details.ts";
import type { PendingSummary } from "./records.ts";
import type {
  CommitReceived,
  Member,
  ProposalReceived,
  Received,
  SenderInfo,
} from "./types.ts";

/**
 * The leaves a commit adds, removes and updates. `updated` holds the
 * leaves of committed Update proposals and the committer's, when its
 * UpdatePath replaced its leaf (RFC 9420 §12.4.2).
 *
 * @example
 * ```ts ignore
 * const record = { ...rest, summary: leafSummary(created.summary) };
 * ```
 */
export function leafSummary(summary: CommitSummary): PendingSummary {
  const updated = [...summary.updated];
  const path = summary.updatedByPath;
  if (path !== undefined && !updated.includes(path)) updated.push(path);
  return {
    added: summary.added.map((a) => a.leafIndex),
    removed: [...summary.removed],
    updated,
  };
}

/**
 * A summary from the member lists of the trees before and after (for a
 * pending commit stored by an older version, without its summary).
 *
 * @example
 * ```ts ignore
 * const summary = record.summary ?? diffSummary(prev.tree, next.tree);
 * ```
 */
export function diffSummary(
  before: RatchetTree,
  after: RatchetTree,
): PendingSummary {
  const old = new Set(membersOf(before).map((m) => m.clientId));
  const now = new Set(membersOf(after).map((m) => m.clientId));
  return {
    added: membersOf(after).filter((m) => !old.has(m.clientId))
      .map((m) => m.leafIndex),
    removed: membersOf(before).filter((m) => !now.has(m.clientId))
      .map((m) => m.leafIndex),
    updated: [],
  };
}

const present = (m: Member | undefined): m is Member => m !== undefined;

/**
 * The `CommitReceived` of a commit from `before` to `after`.
 *
 * @example
 * ```ts ignore
 * const result = commitReceived(before.tree, after.tree, summary, epoch, sender);
 * ```
 */
export function commitReceived(
  before: RatchetTree,
  after: RatchetTree,
  summary: PendingSummary,
  epoch: bigint,
  sender: SenderInfo,
): CommitReceived {
  return {
    type: "commit",
    epoch,
    added: summary.added.map((i) => memberAt(after, i)).filter(present),
    removed: summary.removed.map((i) => memberAt(before, i)).filter(present),
    updated: summary.updated.map((i) => memberAt(after, i)).filter(present),
    sender,
  };
}

/** The group layer's outcome for a proposal. */
type GroupProposal = Extract<GroupReceived, { kind: "proposal" }>;

/**
 * The `Received` of outcome `r` of a message received in `before`: for a
 * proposal, without the automatic commit (see `auto_commit.ts`).
 *
 * @example
 * ```ts ignore
 * const r = await receiveMessage(state, message, options);
 * const result = toReceived(state, r);
 * ```
 */
export function toReceived(
  before: GroupState,
  r: GroupProposal,
): ProposalReceived;
/** The `Received` of any outcome (see above). */
export function toReceived(before: GroupState, r: GroupReceived): Received;
export function toReceived(before: GroupState, r: GroupReceived): Received {
  switch (r.kind) {
    case "application": {
      // Application data may come from a retained past epoch.
      const tree = before.context.epoch === r.epoch
        ? before.tree
        : before.past.find((p) => p.context.epoch === r.epoch)!.tree;
      const content = r.data;
      return {
        type: "application",
        content,
        text: () => utf8Decode(content),
        sender: memberAt(tree, r.sender)!,
        epoch: r.epoch,
      };
    }
    case "proposal":
      return {
        type: "proposal",
        proposal: describeProposal(before.tree, r.proposal, r.sender),
        sender: senderInfo(before.tree, r.sender),
      };
    case "commit":
      return commitReceived(
        before.tree,
        r.state.tree,
        leafSummary(r.summary),
        r.state.context.epoch,
        senderInfo(r.state.tree, r.sender),
      );
    case "removed":
      return {
        type: "removed",
        epoch: before.context.epoch + 1n,
        sender: senderInfo(before.tree, r.sender),
      };
  }
}

/**
 * What applying our own pending commit reports, from `prev` (the epoch it
 * was made in) to `next`: the same `CommitReceived` as a member that
 * receives it, from the `summary` stored with it (or, for a pending
 * commit stored without one by an older version, from the member lists).
 *
 * @example
 * ```ts ignore
 * const result = ownCommitReceived(state, pending.state, pending.record.summary);
 * ```
 */
export function ownCommitReceived(
  prev: GroupState,
  next: GroupState,
  summary: PendingSummary | undefined,
): CommitReceived {
  const me = memberAt(next.tree, next.privateTree.leafIndex)!;
  return commitReceived(
    prev.tree,
    next.tree,
    summary ?? diffSummary(prev.tree, next.tree),
    next.context.epoch,
    { kind: "member", member: me },
  );
}
