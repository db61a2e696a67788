/**
 * The checks of one proposal on its own (RFC 9420 §12.1, by type), against
 * the current epoch. They run when a proposal is received (or sent) on its
 * own, and again for every proposal of a commit's list, so a proposal that
 * fails them is never cached and never committed.
 *
 * @module
 */

import { type Sender, SenderType } from "../../framing/sender.ts";
import { checkUniqueExtensions } from "../../messages/extension.ts";
import type { KeyPackage } from "../../messages/key_package.ts";
import { type LeafNode, LeafNodeSource } from "../../messages/leaf_node.ts";
import { type Proposal, ProposalType } from "../../messages/proposal.ts";
import {
  type PreSharedKeyID,
  PSKType,
  ResumptionPSKUsage,
} from "../../messages/psk.ts";
import { verifyLeafNodeSignature } from "../../tree/leaf_signature.ts";
import {
  checkLeafContents,
  checkLeafSource,
  validateLeafNode,
} from "../../tree/validation.ts";
import { bytesEqual } from "../../util/bytes.ts";
import { rule } from "../../util/rule.ts";
import { groupRequirements } from "../capabilities.ts";
import { validateKeyPackage } from "../key_package.ts";
import type { ProposalWithSender } from "../proposals.ts";
import type { ValidationContext } from "./context.ts";
import { checkCredential, checkExternalSenders } from "./credential.ts";

/** Proposal types an external sender may send (§12.1.8). */
const EXTERNAL_ALLOWED = new Set<number>([
  ProposalType.add,
  ProposalType.remove,
  ProposalType.psk,
  ProposalType.reinit,
  ProposalType.groupContextExtensions,
]);

/**
 * §12.1.8: an external sender sends only add, remove, psk, reinit and
 * group_context_extensions; a new member only an Add (of itself).
 */
export function checkExternalProposalType(
  proposal: Proposal,
  sender: Sender,
  field = "proposal",
): void {
  rule(
    "§12.1.8",
    "external_proposal_not_allowed",
    sender.senderType !== SenderType.external ||
      EXTERNAL_ALLOWED.has(proposal.proposalType),
    `external senders cannot send proposal type ${proposal.proposalType}`,
    field,
  );
  rule(
    "§12.1.8",
    "external_proposal_not_allowed",
    sender.senderType !== SenderType.newMemberProposal ||
      proposal.proposalType === ProposalType.add,
    "a new member may only propose to add itself",
    field,
  );
}

/**
 * Validates one proposal by type (§12.1.1–§12.1.8) against the current
 * epoch. Rules about the list a proposal is committed in (duplicates, the
 * committer, external commits, the resulting tree) are
 * `validateProposalList`'s.
 */
export async function validateProposal(
  ctx: ValidationContext,
  { proposal, sender }: ProposalWithSender,
  field = "proposal",
): Promise<void> {
  checkExternalProposalType(proposal, sender, field);
  switch (proposal.proposalType) {
    case ProposalType.add:
      return await validateAdd(ctx, proposal.keyPackage, field);
    case ProposalType.update:
      return await validateUpdate(ctx, proposal.leafNode, sender, field);
    case ProposalType.remove: {
      const r = proposal.removed;
      rule(
        "§12.1.3",
        "remove_blank_leaf",
        r < ctx.tree.leafCount && ctx.tree.getLeaf(r) !== undefined,
        `Remove of blank leaf ${r}`,
        field,
      );
      return;
    }
    case ProposalType.psk:
      return validatePsk(ctx, proposal.psk, field);
    case ProposalType.reinit:
      // Unreachable over the wire today (only mls10 decodes).
      rule(
        "§12.1.5",
        "invalid_reinit",
        proposal.version >= ctx.context.version,
        "ReInit to an older protocol version",
        field,
      );
      checkUniqueExtensions(proposal.extensions, `${field}.extensions`);
      return;
    case ProposalType.externalInit:
      // Where it may appear is a rule of the list (§12.1.6, §12.2).
      return;
    case ProposalType.groupContextExtensions:
      checkUniqueExtensions(proposal.extensions, `${field}.extensions`);
      return await checkExternalSenders(
        ctx.validateCredential,
        proposal.extensions,
        ctx.context.groupId,
        `${field}.extensions`,
      );
    default:
      rule(
        "§12.2",
        "unsupported_proposal",
        false,
        `unknown proposal type ${(proposal as Proposal).proposalType}`,
        field,
      );
  }
}

/** §12.1.1: an Add is invalid if its KeyPackage is (§10.1, §5.3.1). */
async function validateAdd(
  ctx: ValidationContext,
  kp: KeyPackage,
  field: string,
): Promise<void> {
  rule(
    "§10.1",
    "add_wrong_suite",
    kp.cipherSuite === ctx.cs.id && kp.version === ctx.context.version,
    "key package is for another suite or version than the group",
    field,
  );
  await validateKeyPackage(ctx.cs, kp, {
    now: ctx.now,
    maxLifetime: ctx.maxLifetime,
  });
  await checkCredential(ctx.validateCredential, {
    event: "add",
    credential: kp.leafNode.credential,
    signatureKey: kp.leafNode.signatureKey,
    groupId: ctx.context.groupId,
  }, `${field}.keyPackage.leafNode.credential`);
}

/**
 * §12.1.2: an Update is invalid if its leaf is invalid for an Update
 * (§7.3): sent by a member, source `update`, a new encryption key, a
 * valid signature for this group and leaf, and a credential the
 * application accepts as the successor of the old one (§5.3.1). The
 * checks against the tree the leaf enters run when it is applied.
 */
async function validateUpdate(
  ctx: ValidationContext,
  leaf: LeafNode,
  sender: Sender,
  field: string,
): Promise<void> {
  rule(
    "§12.1.2",
    "invalid_update_sender",
    sender.senderType === SenderType.member,
    "Update not sent by a member",
    field,
  );
  if (sender.senderType !== SenderType.member) return;
  const current = ctx.tree.getLeaf(sender.leafIndex);
  rule(
    "§12.1.2",
    "invalid_update_sender",
    current !== undefined,
    "Update from a blank leaf",
    field,
  );
  const f = `${field}.leafNode`;
  checkLeafSource(leaf, LeafNodeSource.update, f);
  rule(
    "§7.3",
    "update_same_key",
    !bytesEqual(current.encryptionKey, leaf.encryptionKey),
    "Update keeps the old encryption key",
    f,
  );
  checkLeafContents(leaf, f);
  const ok = await verifyLeafNodeSignature(ctx.cs, leaf, {
    groupId: ctx.context.groupId,
    leafIndex: sender.leafIndex,
  });
  rule("§7.3", "invalid_signature", ok, "Update leaf signature", f);
  // §12.1.2: "valid as described in Section 7.3" — which includes the tree:
  // capabilities against the members, and keys no other member uses.
  await validateLeafNode(ctx.cs, ctx.tree, leaf, {
    groupId: ctx.context.groupId,
    now: ctx.now,
    maxLifetime: ctx.maxLifetime,
    ...groupRequirements(ctx.context.extensions),
    leafIndex: sender.leafIndex,
    source: LeafNodeSource.update,
    replacing: true,
    signatureVerified: true,
  });
  await checkCredential(ctx.validateCredential, {
    event: "update",
    credential: leaf.credential,
    signatureKey: leaf.signatureKey,
    previous: current.credential,
    groupId: ctx.context.groupId,
  }, `${f}.credential`);
}

/** §12.1.4 (and §11.2, §11.3): the nonce length and the usage. */
function validatePsk(
  ctx: ValidationContext,
  id: PreSharedKeyID,
  field: string,
): void {
  rule(
    "§12.1.4",
    "invalid_psk_nonce",
    id.pskNonce.length === ctx.cs.hashLength,
    "psk_nonce is not KDF.Nh bytes",
    field,
  );
  rule(
    "§12.1.4",
    "invalid_psk_usage",
    id.pskType !== PSKType.resumption ||
      id.usage === ResumptionPSKUsage.application ||
      id.usage === ctx.allowResumptionUsage,
    "reinit/branch PSK outside reinit/branch",
    field,
  );
}
