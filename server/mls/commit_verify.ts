/**
 * Verifying a PublicMessage commit against a group's public state and
 * computing the public state it leads to (RFC 9420 §12.4.2), with the
 * library's own steps: the FramedContent signature (§6.1), proposal-list
 * validation (§12.2), applying the proposals (§12.3), merging the
 * UpdatePath's public keys with leaf and parent-hash validation (§7.3,
 * §7.9.2), the new tree hash, and the confirmed transcript hash (§8.2).
 *
 * What no one outside the group can check: the membership tag (it needs
 * the epoch's `membership_key`, §6.2), the confirmation tag (the epoch's
 * `confirmation_key`, §8.2), and whether the UpdatePath's ciphertexts and
 * an ExternalInit's `kem_output` decrypt. A commit that is well formed but
 * undecryptable is detected by the members, who recover by resync.
 *
 * @module
 */

import { MlsError } from "../../src/errors.ts";
import type { AuthenticatedContent } from "../../src/framing/authenticated_content.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { checkGroupAndEpoch } from "../../src/framing/context_input.ts";
import type { PublicMessage } from "../../src/framing/public_message.ts";
import { verifyFramedContent } from "../../src/framing/sign.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { requiredCapabilities } from "../../src/group/capabilities.ts";
import {
  applyToClone,
  type ProposalWithSender,
} from "../../src/group/proposals.ts";
import { pathRequired } from "../../src/group/validation/commit.ts";
import { validationContext } from "../../src/group/validation/context.ts";
import { validateProposalList } from "../../src/group/validation/proposal_list.ts";
import type { GroupContext } from "../../src/messages/group_context.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import { confirmedTranscriptHash } from "../../src/framing/transcript_hash.ts";
import type { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { mergeUpdatePath } from "../../src/tree/treekem.ts";
import { interimHash, type PublicState } from "./public_state.ts";
import { refusing } from "./refusals.ts";

/** The public state a verified commit leads to. */
export interface NextPublicState {
  /** The next epoch's GroupContext. */
  readonly context: GroupContext;
  /** The next epoch's tree. */
  readonly tree: RatchetTree;
  /** The commit's confirmation tag (the next GroupInfo must carry it). */
  readonly confirmationTag: Uint8Array;
  /** The committer's leaf in the new tree (the GroupInfo's signer). */
  readonly committer: number;
  /** The key packages the commit adds (their owners get the Welcome). */
  readonly added: readonly KeyPackage[];
}

/** The commit's content as signed: a PublicMessage's AuthenticatedContent. */
export function authenticated(pm: PublicMessage): AuthenticatedContent {
  return {
    wireFormat: WireFormat.mlsPublicMessage,
    content: pm.content,
    auth: pm.auth,
  };
}

/**
 * Verifies commit `pm` with its resolved proposal `list` against `state`:
 * `committer` is the sender's leaf, or `undefined` for an external commit
 * (whose rules the caller checked). Throws `400 invalid_commit` with the
 * library's code as `reason`.
 */
export function verifyCommit(
  state: PublicState,
  pm: PublicMessage,
  committer: number | undefined,
  list: readonly ProposalWithSender[],
  now: Date,
): Promise<NextPublicState> {
  return refusing("invalid_commit", async () => {
    const { cs, context } = state;
    const content = pm.content;
    if (content.contentType !== ContentType.commit) {
      throw new MlsError("wrong_content_type", "not a commit");
    }
    checkGroupAndEpoch(state.contextBytes, content.groupId, content.epoch);
    const { commit } = content;
    const path = commit.path;
    const confirmationTag = pm.auth.confirmationTag;
    if (!confirmationTag) {
      throw new MlsError("invalid_value", "a commit without confirmation tag");
    }
    const signatureKey = committer === undefined
      ? path?.leafNode.signatureKey
      : state.tree.getLeaf(committer)?.signatureKey;
    if (!signatureKey) {
      throw new MlsError("invalid_sender", "no signature key for the sender");
    }
    // §6.1: signed over the current GroupContext. The membership tag of a
    // member's PublicMessage cannot be checked here (no membership_key).
    const auth = authenticated(pm);
    await verifyFramedContent(cs, auth, signatureKey, state.contextBytes);
    // The library's §12.1/§12.2 rules, one place for members and service.
    await validateProposalList(
      validationContext({ cs, tree: state.tree, context }, { now }),
      list,
      committer,
    );
    if (!path && (committer === undefined || pathRequired(list))) {
      throw new MlsError("missing_path", "this commit requires an UpdatePath");
    }
    const { tree, applied } = await applyToClone(
      cs,
      state.tree,
      context,
      list,
      { now },
    );
    // An external joiner takes the leftmost blank leaf after the proposals.
    const leaf = committer ?? tree.leftmostBlankLeaf();
    const next = path
      ? (await mergeUpdatePath(cs, tree, leaf, path, {
        groupId: context.groupId,
        now,
        requiredCapabilities: requiredCapabilities(applied.extensions),
      })).tree
      : tree;
    const [treeHash, confirmed] = await Promise.all([
      next.treeHash(cs),
      interimHash(state).then((i) => confirmedTranscriptHash(cs, i, auth)),
    ]);
    return {
      context: {
        ...context,
        epoch: context.epoch + 1n,
        treeHash,
        confirmedTranscriptHash: confirmed,
        extensions: applied.extensions,
      },
      tree: next,
      confirmationTag,
      committer: leaf,
      added: applied.added.map((a) => a.keyPackage),
    };
  });
}
