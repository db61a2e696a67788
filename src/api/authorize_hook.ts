/**
 * The application's `authorize` hook as the group layer calls it: the
 * group layer asks with wire structures (senders, proposals), the hook is
 * given the Web API's values (members, `ProposalInfo`).
 *
 * @module
 */

import type { Authorize } from "../group/receive.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import { senderInfo } from "./convert.ts";
import { describeProposal } from "./proposal_details.ts";
import type { AuthorizeHook } from "./types.ts";

/**
 * The group layer's `Authorize` that asks `hook` about a message to the
 * group `groupId` (hex), whose members are those of `tree` (the epoch the
 * message is received in); `undefined` without a hook.
 *
 * @example
 * ```ts ignore
 * const authorize = groupAuthorize(env.authorize, view.groupId, state.tree);
 * await receiveMessage(state, message, { authorize });
 * ```
 */
export function groupAuthorize(
  hook: AuthorizeHook | undefined,
  groupId: string,
  tree: RatchetTree,
): Authorize | undefined {
  if (!hook) return undefined;
  return (req) =>
    hook({
      kind: req.kind,
      groupId,
      sender: senderInfo(
        tree,
        req.sender,
        req.senderCredential?.credentialType ? req.senderCredential : undefined,
      ),
      proposals: req.proposals.map((p) =>
        describeProposal(tree, p.proposal, p.sender)
      ),
    });
}
