/**
 * The ordering and routing rules, shared by every store: given a group's
 * current record and a message, decide whether it is accepted, who receives
 * it, and what the membership becomes. Pure; the stores apply the result
 * atomically.
 *
 * @module
 */

import type {
  AcceptRequest,
  GroupRecord,
  MemberRecord,
  RejectReason,
} from "./store.ts";

/** What accepting a message does. */
export interface AcceptPlan {
  /** Inboxes that get the message. */
  readonly recipients: string[];
  /** Inboxes that get the Welcome. */
  readonly welcomeRecipients: string[];
  /** The group's epoch afterwards. */
  readonly epoch: number;
  /** The members afterwards (commits only). */
  readonly members?: MemberRecord[];
}

/** A rejection, with the group's epoch when there is a group. */
export interface Rejection {
  /** Why the message was rejected. */
  readonly reject: RejectReason;
  /** The current epoch. */
  readonly epoch?: number;
}

/** Decides on `req` against `group` (null: no such group). */
export function planAccept(
  group: GroupRecord | null,
  req: AcceptRequest,
): AcceptPlan | Rejection {
  if (!group) return { reject: "unknown_group" };
  const epoch = group.epoch;
  const isMember = group.members.some((m) => m.clientId === req.poster);
  if (req.kind === "commit" && req.external) {
    if (!isMember && !group.externalJoins) {
      return { reject: "external_joins_disabled", epoch };
    }
  } else if (!isMember) {
    return { reject: "not_member", epoch };
  }
  if (req.kind === "application") {
    if (req.epoch > epoch) return { reject: "epoch_conflict", epoch };
    return {
      recipients: group.members
        .filter((m) => m.clientId !== req.poster && m.since <= req.epoch)
        .map((m) => m.clientId),
      welcomeRecipients: [],
      epoch,
    };
  }
  if (req.epoch !== epoch) return { reject: "epoch_conflict", epoch };
  if (req.kind === "proposal") {
    return {
      recipients: group.members
        .filter((m) => m.clientId !== req.poster)
        .map((m) => m.clientId),
      welcomeRecipients: [],
      epoch,
    };
  }
  // A commit: every member of this epoch gets it (the committer too, to
  // confirm its pending commit; removed members, to learn they are out),
  // except an external joiner, who is in the new epoch already.
  const since = new Map(group.members.map((m) => [m.clientId, m.since]));
  const next = [...new Set(req.nextMembers ?? [])];
  return {
    recipients: group.members
      .map((m) => m.clientId)
      .filter((c) => !(req.external && c === req.poster)),
    welcomeRecipients: [...new Set(req.welcome?.recipients ?? [])],
    epoch: epoch + 1,
    members: next.map((clientId) => ({
      clientId,
      since: req.external && clientId === req.poster
        ? epoch + 1
        : since.get(clientId) ?? epoch + 1,
    })),
  };
}
