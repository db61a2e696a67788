/**
 * What `receive()` returns (`Received`, a union on `type`) from what the
 * group layer made of the message (its own `Received`, a union on
 * `kind`): the one place where senders, proposals and commit summaries
 * become the Web API's members and `ProposalInfo`s. Commits report through
 * `commit_report.ts`, as our own applied commits do.
 *
 * @module
 */

import type { Received as GroupReceived } from "../group/receive.ts";
import type { GroupState } from "../group/state.ts";
import { utf8Decode } from "../util/bytes.ts";
import { commitReceived, leafSummary } from "./commit_report.ts";
import { memberAt, proposalInfo, senderInfo } from "./convert.ts";
import type { ProposalReceived, Received } from "./types.ts";

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
        proposal: proposalInfo(before.tree, r.proposal, r.sender),
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
