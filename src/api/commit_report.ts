/**
 * What a commit changed, as `receive()` and `applyPendingCommit()` report
 * it (`CommitReceived`): from the group layer's commit summary, for others'
 * commits and ours alike, so that both report the same members.
 *
 * @module
 */

import type { CommitSummary } from "../group/commit.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import { memberAt, membersOf } from "./convert.ts";
import type { PendingSummary } from "./records.ts";
import type { CommitReceived, Member, SenderInfo } from "./types.ts";

/**
 * The leaves a commit adds, removes and updates. `updated` holds the
 * leaves of committed Update proposals and the committer's, when its
 * UpdatePath replaced its leaf (RFC 9420 §12.4.2).
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

/** The `CommitReceived` of a commit from `before` to `after`. */
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
