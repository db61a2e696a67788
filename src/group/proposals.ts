/**
 * Proposal lists of a Commit: references (§5.2), validation (§12.2 and the
 * per-type rules of §12.1), and application to a new tree and group context
 * in the order of §12.3.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { refHash } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import {
  type AuthenticatedContent,
  authenticatedContentCodec,
} from "../framing/authenticated_content.ts";
import { type Sender, SenderType } from "../framing/sender.ts";
import type { Extension } from "../messages/extension.ts";
import type { KeyPackage } from "../messages/key_package.ts";
import type { LeafNode } from "../messages/leaf_node.ts";
import {
  type Proposal,
  ProposalType,
  type ReInit,
} from "../messages/proposal.ts";
import { type PreSharedKeyID, PSKType } from "../messages/psk.ts";
import { ResumptionPSKUsage } from "../messages/psk.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import { validateLeafNode } from "../tree/validation.ts";
import { LeafNodeSource } from "../messages/leaf_node.ts";
import { checkUniqueExtensions } from "./group_info.ts";
import { validateKeyPackage } from "./key_package.ts";
import {
  requiredCapabilities,
  supportsExtensions,
  supportsRequired,
} from "./capabilities.ts";
import { mapLimited } from "../util/map_limited.ts";

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

/** A proposal together with who sent it. */
export interface SentProposal {
  /** The proposal. */
  proposal: Proposal;
  /** Its sender (the committer for proposals sent by value). */
  sender: Sender;
  /** Its reference, when it was sent on its own and committed by reference. */
  ref?: Uint8Array;
}

/** Proposal types a Commit must carry a path for (§12.4). */
const PATH_REQUIRED = new Set<number>([
  ProposalType.update,
  ProposalType.remove,
  ProposalType.externalInit,
  ProposalType.groupContextExtensions,
]);

/** Whether a Commit covering `proposals` must include an UpdatePath. */
export function pathRequired(proposals: readonly SentProposal[]): boolean {
  return proposals.length === 0 ||
    proposals.some((p) => PATH_REQUIRED.has(p.proposal.proposalType));
}

/** Proposal types an external sender may send (§12.1.8). */
const EXTERNAL_ALLOWED = new Set<number>([
  ProposalType.add,
  ProposalType.remove,
  ProposalType.psk,
  ProposalType.reinit,
  ProposalType.groupContextExtensions,
]);

/** Checks the proposal types an external sender may use (§12.1.8). */
export function checkExternalProposalType(
  proposal: Proposal,
  sender: Sender,
): void {
  if (
    sender.senderType === SenderType.external &&
    !EXTERNAL_ALLOWED.has(proposal.proposalType)
  ) {
    throw new MlsError(
      "external_proposal_not_allowed",
      `external senders cannot send proposal type ${proposal.proposalType}`,
      "proposal",
    );
  }
  if (
    sender.senderType === SenderType.newMemberProposal &&
    proposal.proposalType !== ProposalType.add
  ) {
    throw new MlsError(
      "external_proposal_not_allowed",
      "a new member may only propose to add itself",
      "proposal",
    );
  }
}

/** What the group looks like to proposal validation. */
export interface ValidationContext {
  /** The tree of the current epoch. */
  tree: RatchetTree;
  /** The group context extensions of the current epoch. */
  extensions: readonly Extension[];
  /** The group's protocol version. */
  version: number;
  /** The group id (the context of update leaf signatures). */
  groupId: Uint8Array;
  /** Current time, for lifetime checks. */
  now?: Date;
  /** Whether we are applying a reinit/branch Welcome (allows those PSKs). */
  allowResumptionUsage?: number;
}

function fail(code: string, message: string, index: number): never {
  throw new MlsError(code, message, `proposals[${index}]`);
}

/**
 * Validates a committed proposal list (§12.2). `committer` is the
 * committer's leaf index, or `undefined` for an external commit. Each
 * violated rule has its own error code.
 */
export async function validateProposalList(
  cs: SuiteCrypto,
  list: readonly SentProposal[],
  committer: number | undefined,
  ctx: ValidationContext,
): Promise<void> {
  const external = committer === undefined;
  const touched = new Set<number>();
  const pskIds = new Set<string>();
  const addSigKeys = new Set<string>();
  const removed = new Set<number>();
  let gce = 0, reinit = 0, externalInit = 0, removes = 0;
  for (const p of list) {
    if (p.proposal.proposalType === ProposalType.remove) {
      removed.add(p.proposal.removed);
    }
  }
  const keyPackages: KeyPackage[] = [];
  for (let i = 0; i < list.length; i++) {
    const { proposal, sender } = list[i];
    switch (proposal.proposalType) {
      case ProposalType.add: {
        const kp: KeyPackage = proposal.keyPackage;
        if (kp.cipherSuite !== cs.id || kp.version !== ctx.version) {
          fail(
            "add_wrong_suite",
            "key package is for another suite or version",
            i,
          );
        }
        const sig = toHex(kp.leafNode.signatureKey);
        if (addSigKeys.has(sig)) {
          fail("duplicate_add", "two Adds for the same client", i);
        }
        addSigKeys.add(sig);
        const existing = ctx.tree.findLeafBySignatureKey(
          kp.leafNode.signatureKey,
        );
        if (existing !== undefined && !removed.has(existing)) {
          fail(
            "add_existing_member",
            "Add for a client already in the group",
            i,
          );
        }
        keyPackages.push(kp);
        break;
      }
      case ProposalType.update: {
        if (external) {
          fail("invalid_external_commit", "Update in an external commit", i);
        }
        if (sender.senderType !== SenderType.member) {
          fail("invalid_update_sender", "Update not sent by a member", i);
        }
        const leaf = sender.leafIndex;
        if (leaf === committer) {
          fail("update_by_committer", "the committer's own Update", i);
        }
        if (touched.has(leaf)) {
          fail(
            "duplicate_update_remove",
            "two Updates/Removes for one leaf",
            i,
          );
        }
        touched.add(leaf);
        const current = ctx.tree.getLeaf(leaf);
        if (!current) {
          fail("invalid_update_sender", "Update from a blank leaf", i);
        }
        if (
          bytesEqual(current.encryptionKey, proposal.leafNode.encryptionKey)
        ) {
          fail("update_same_key", "Update keeps the old encryption key", i);
        }
        break;
      }
      case ProposalType.remove: {
        removes++;
        const r = proposal.removed;
        if (ctx.tree.getLeaf(r) === undefined || r >= ctx.tree.leafCount) {
          fail("remove_blank_leaf", `Remove of blank leaf ${r}`, i);
        }
        if (r === committer) {
          fail("remove_committer", "the committer removes itself", i);
        }
        if (touched.has(r)) {
          fail(
            "duplicate_update_remove",
            "two Updates/Removes for one leaf",
            i,
          );
        }
        touched.add(r);
        break;
      }
      case ProposalType.psk: {
        const id: PreSharedKeyID = proposal.psk;
        if (id.pskNonce.length !== cs.hashLength) {
          fail("invalid_psk_nonce", "psk_nonce is not KDF.Nh bytes", i);
        }
        if (
          id.pskType === PSKType.resumption &&
          id.usage !== ResumptionPSKUsage.application &&
          id.usage !== ctx.allowResumptionUsage
        ) {
          fail(
            "invalid_psk_usage",
            "reinit/branch PSK outside reinit/branch",
            i,
          );
        }
        const key = pskIdKey(id);
        if (pskIds.has(key)) fail("duplicate_psk", "a PSK is listed twice", i);
        pskIds.add(key);
        break;
      }
      case ProposalType.reinit: {
        if (external) {
          fail("invalid_external_commit", "ReInit in an external commit", i);
        }
        reinit++;
        if (proposal.version < ctx.version) {
          fail("invalid_reinit", "ReInit to an older protocol version", i);
        }
        checkUniqueExtensions(
          proposal.extensions,
          `proposals[${i}].extensions`,
        );
        break;
      }
      case ProposalType.externalInit:
        if (!external) {
          fail("external_init_in_commit", "ExternalInit in a member commit", i);
        }
        externalInit++;
        break;
      case ProposalType.groupContextExtensions: {
        if (external) {
          fail("invalid_external_commit", "GCE in an external commit", i);
        }
        gce++;
        if (gce > 1) fail("duplicate_gce", "two GroupContextExtensions", i);
        checkUniqueExtensions(
          proposal.extensions,
          `proposals[${i}].extensions`,
        );
        checkGceSupported(ctx.tree, proposal.extensions, removed, list, i);
        break;
      }
      default:
        fail("unsupported_proposal", "unknown proposal type", i);
    }
  }
  if (reinit > 0 && list.length > 1) {
    fail("reinit_not_alone", "ReInit together with other proposals", 0);
  }
  if (external) {
    if (externalInit !== 1) {
      fail(
        "invalid_external_commit",
        "an external commit needs exactly one ExternalInit",
        0,
      );
    }
    if (removes > 1) {
      fail("invalid_external_commit", "more than one Remove", 0);
    }
  }
  await mapLimited(
    keyPackages,
    (kp) => validateKeyPackage(cs, kp, { now: ctx.now }),
  );
}

/**
 * The next epoch's tree: a clone of `tree` with a validated proposal list
 * applied (§12.3). The committer and every receiver start a commit here;
 * `validateProposalList` has verified the key packages, so Add leaves are
 * not verified again.
 */
export async function applyToClone(
  cs: SuiteCrypto,
  tree: RatchetTree,
  context: { groupId: Uint8Array; extensions: Extension[] },
  list: readonly SentProposal[],
  now?: Date,
): Promise<{ tree: RatchetTree; applied: AppliedProposals }> {
  const next = tree.clone();
  const applied = await applyProposals(cs, next, context.extensions, list, {
    groupId: context.groupId,
    now,
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

function checkGceSupported(
  tree: RatchetTree,
  extensions: readonly Extension[],
  removed: ReadonlySet<number>,
  list: readonly SentProposal[],
  index: number,
): void {
  const req = requiredCapabilities(extensions);
  const leaves: LeafNode[] = [];
  for (let i = 0; i < tree.leafCount; i++) {
    const l = tree.getLeaf(i);
    if (l && !removed.has(i)) leaves.push(l);
  }
  for (const p of list) {
    if (p.proposal.proposalType === ProposalType.add) {
      leaves.push(p.proposal.keyPackage.leafNode);
    }
  }
  for (const l of leaves) {
    if (
      !supportsExtensions(l, extensions) || (req && !supportsRequired(l, req))
    ) {
      fail(
        "unsupported_capabilities",
        "a member does not support the new group context extensions",
        index,
      );
    }
  }
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
export interface ApplyOptions {
  /** The group id (signature context of update leaves). */
  groupId: Uint8Array;
  /** Current time, for key-package lifetimes; unchecked when absent. */
  now?: Date;
  /** Skip leaf validation (the committer validated before). */
  trusted?: boolean;
  /**
   * The list's key packages went through `validateProposalList` (which
   * verifies each key package's leaf signature): Add leaves then get every
   * other check but not that signature again.
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
  list: readonly SentProposal[],
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
  const base = {
    groupId: options.groupId,
    now: options.now,
    requiredCapabilities: requiredCapabilities(out.extensions),
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
