/**
 * Proposal lists of a Commit: references (§5.2) and application to a new
 * tree and group context in the order of §12.3, each leaf validated as it
 * enters the tree (§7.3). Validation of proposals and lists is in
 * `validation/`.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { refHash } from "../crypto/labeled.ts";
import {
  type AuthenticatedContent,
  authenticatedContentCodec,
} from "../framing/authenticated_content.ts";
import { type Sender, SenderType } from "../framing/sender.ts";
import type { Extension } from "../messages/extension.ts";
import type { KeyPackage } from "../messages/key_package.ts";
import { type LeafNode, LeafNodeSource } from "../messages/leaf_node.ts";
import {
  type Proposal,
  ProposalType,
  type ReInit,
} from "../messages/proposal.ts";
import { type PreSharedKeyID, PSKType } from "../messages/psk.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import { type LifetimeOptions, validateLeafNode } from "../tree/validation.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { toHex } from "../util/bytes.ts";
import { groupRequirements } from "./capabilities.ts";

/** `ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent)`. */
export function proposalRef(
  cs: SuiteCrypto,
  content: AuthenticatedContent,
): Promise<Uint8Array> {
  return refHash(
    cs,
    "MLS 1.0 Proposal Reference",
    encode(authenticatedContentCodec, content),
  );
}

/**
 * A proposal together with who sent it: an entry of a commit's proposal
 * list (by value or by reference), or a {@link PendingProposal}.
 */
export interface ProposalWithSender {
  /** The proposal. */
  proposal: Proposal;
  /** Its sender (the committer for proposals sent by value). */
  sender: Sender;
  /** Its reference, when it was sent on its own and committed by reference. */
  ref?: Uint8Array;
}

/**
 * A proposal of this epoch, received or our own, held in the group state
 * (by its ProposalRef) until a commit covers it (§12.1, §12.4).
 */
export type PendingProposal = ProposalWithSender;

/**
 * The next epoch's tree: a clone of `tree` with a validated proposal list
 * applied (§12.3). The committer and every receiver start a commit here;
 * `validateProposalList` has verified the key packages and Update leaves,
 * so their signatures are not verified again.
 */
export async function applyToClone(
  cs: SuiteCrypto,
  tree: RatchetTree,
  context: { groupId: Uint8Array; extensions: Extension[] },
  list: readonly ProposalWithSender[],
  lifetime: LifetimeOptions = {},
): Promise<{ tree: RatchetTree; applied: AppliedProposals }> {
  const next = tree.clone();
  const applied = await applyProposals(cs, next, context.extensions, list, {
    groupId: context.groupId,
    ...lifetime,
    keyPackagesValidated: true,
  });
  return { tree: next, applied };
}

/** A stable key for a PreSharedKeyID, for duplicate detection. */
export function pskIdKey(id: PreSharedKeyID): string {
  return id.pskType === PSKType.external
    ? `e:${toHex(id.pskId)}`
    : `r:${id.usage}:${toHex(id.pskGroupId)}:${id.pskEpoch}`;
}

/** The outcome of applying a proposal list (§12.3). */
export interface AppliedProposals {
  /** The new group context extensions. */
  extensions: Extension[];
  /** Leaves added, in proposal order: where each landed and its package. */
  added: { leafIndex: number; keyPackage: KeyPackage }[];
  /** Leaf indices removed, with the leaf they held. */
  removed: { leafIndex: number; leaf: LeafNode }[];
  /** Leaf indices updated by Update proposals. */
  updated: number[];
  /** PSKs in proposal order. */
  psks: PreSharedKeyID[];
  /** The ExternalInit kem_output, if any. */
  externalInit?: Uint8Array;
  /** The ReInit parameters, if any. */
  reinit?: ReInit;
}

/** How {@link applyProposals} validates leaves as they enter the tree. */
export interface ApplyOptions extends LifetimeOptions {
  /** The group id (signature context of update leaves). */
  groupId: Uint8Array;
  /** Skip leaf validation (the committer validated before). */
  trusted?: boolean;
  /**
   * The list went through `validateProposalList` (which verifies each key
   * package's and each Update's leaf signature): their leaves then get
   * every other check but not that signature again.
   */
  keyPackagesValidated?: boolean;
}

/**
 * Applies a proposal list to `tree` (mutated: pass a clone) in the order
 * §12.3 prescribes, validating each Update and Add leaf against the tree it
 * enters (§7.3, with the new group context extensions), and returns what
 * changed.
 */
export async function applyProposals(
  cs: SuiteCrypto,
  tree: RatchetTree,
  extensions: Extension[],
  list: readonly ProposalWithSender[],
  options: ApplyOptions,
): Promise<AppliedProposals> {
  const out: AppliedProposals = {
    extensions,
    added: [],
    removed: [],
    updated: [],
    psks: [],
  };
  for (const { proposal } of list) {
    if (proposal.proposalType === ProposalType.groupContextExtensions) {
      out.extensions = proposal.extensions;
    }
  }
  // The new extensions apply to every leaf entering the tree (§12.3).
  const base = {
    groupId: options.groupId,
    now: options.now,
    maxLifetime: options.maxLifetime,
    ...groupRequirements(out.extensions),
    signatureVerified: options.keyPackagesValidated,
  };
  const checks: Promise<void>[] = [];
  for (const { proposal, sender } of list) {
    if (
      proposal.proposalType === ProposalType.update &&
      sender.senderType === SenderType.member
    ) {
      if (!options.trusted) {
        checks.push(validateLeafNode(cs, tree, proposal.leafNode, {
          ...base,
          leafIndex: sender.leafIndex,
          source: LeafNodeSource.update,
          replacing: true,
        }));
      }
      tree.updateLeaf(sender.leafIndex, proposal.leafNode);
      out.updated.push(sender.leafIndex);
    }
  }
  for (const { proposal } of list) {
    if (proposal.proposalType === ProposalType.remove) {
      const leaf = tree.getLeaf(proposal.removed)!;
      tree.removeLeaf(proposal.removed);
      out.removed.push({ leafIndex: proposal.removed, leaf });
    }
  }
  for (const { proposal } of list) {
    switch (proposal.proposalType) {
      case ProposalType.add: {
        const leaf = proposal.keyPackage.leafNode;
        if (!options.trusted) {
          // The synchronous checks see the tree before the leaf is placed;
          // the signature check completes concurrently.
          checks.push(validateLeafNode(cs, tree, leaf, {
            ...base,
            leafIndex: tree.leftmostBlankLeaf(),
            source: LeafNodeSource.keyPackage,
            signatureVerified: options.keyPackagesValidated,
          }));
        }
        out.added.push({
          leafIndex: tree.addLeaf(leaf),
          keyPackage: proposal.keyPackage,
        });
        break;
      }
      case ProposalType.psk:
        out.psks.push(proposal.psk);
        break;
      case ProposalType.externalInit:
        out.externalInit = proposal.kemOutput;
        break;
      case ProposalType.reinit:
        out.reinit = proposal;
        break;
    }
  }
  await Promise.all(checks);
  return out;
}
