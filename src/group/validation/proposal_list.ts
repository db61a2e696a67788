/**
 * Proposal list validation (RFC 9420 §12.2): the rules of a committed list,
 * for a regular commit and for an external one, on top of each proposal's
 * own checks (§12.1, `proposal.ts`); and the same for a proposal received
 * or sent on its own (a list of one, not yet committed).
 *
 * The last rule of §12.2 — the tree after the commit must be valid — is
 * enforced as each leaf enters it (`applyProposals`, `validateLeafNode`)
 * and, for the current members under new GroupContext extensions, here.
 *
 * @module
 */

import { SenderType } from "../../framing/sender.ts";
import type { Extension } from "../../messages/extension.ts";
import type { KeyPackage } from "../../messages/key_package.ts";
import { ProposalType } from "../../messages/proposal.ts";
import { checkLeafFitsGroup } from "../../tree/validation.ts";
import { toHex } from "../../util/bytes.ts";
import { mapLimited } from "../../util/map_limited.ts";
import { rule } from "../../util/rule.ts";
import { groupRequirements } from "../capabilities.ts";
import { type ProposalWithSender, pskIdKey } from "../proposals.ts";
import type { ValidationContext } from "./context.ts";
import { validateProposal } from "./proposal.ts";

/**
 * Validates a proposal received or sent on its own, before it is cached
 * (§12.1): its own checks, and the list rules a single proposal can break.
 */
export async function validateStandaloneProposal(
  ctx: ValidationContext,
  sent: ProposalWithSender,
): Promise<void> {
  rule(
    "§12.1.6",
    "invalid_proposal",
    sent.proposal.proposalType !== ProposalType.externalInit,
    "ExternalInit only travels inside an external commit",
    "proposal",
  );
  await validateProposal(ctx, sent);
  if (sent.proposal.proposalType === ProposalType.add) {
    checkAddNotMember(ctx, sent.proposal.keyPackage, new Set(), "proposal");
  }
}

/**
 * Validates a committed proposal list (§12.2). `committer` is the
 * committer's leaf index, or `undefined` for an external commit. Each
 * proposal gets its own checks first (concurrently); then the rules of the
 * list, each with its own code.
 */
export async function validateProposalList(
  ctx: ValidationContext,
  list: readonly ProposalWithSender[],
  committer: number | undefined,
): Promise<void> {
  // "It contains an individual proposal that is invalid" (§12.2).
  await mapLimited(list.map((p, i) => [p, i] as const), async ([p, i]) => {
    let outcome = ctx.checked.get(p);
    if (!outcome) {
      outcome = validateProposal(ctx, p, `proposals[${i}]`).then(
        () => undefined,
        (e: unknown) => e,
      );
      ctx.checked.set(p, outcome);
    }
    const error = await outcome;
    if (error !== undefined) throw error;
  });
  if (committer === undefined) {
    checkExternalList(list);
  } else {
    checkMemberList(ctx, list, committer);
  }
  checkUniquePsks(list);
}

/** The rules of §12.2 for a regular (member) commit. */
function checkMemberList(
  ctx: ValidationContext,
  list: readonly ProposalWithSender[],
  committer: number,
): void {
  const touched = new Set<number>();
  const addSigKeys = new Set<string>();
  const removed = new Set<number>();
  const updated = new Set<number>();
  for (const { proposal } of list) {
    if (proposal.proposalType === ProposalType.remove) {
      removed.add(proposal.removed);
    }
  }
  let gce: Extension[] | undefined;
  let reinit = false;
  for (let i = 0; i < list.length; i++) {
    const { proposal, sender } = list[i];
    const f = `proposals[${i}]`;
    switch (proposal.proposalType) {
      case ProposalType.add: {
        const sig = toHex(proposal.keyPackage.leafNode.signatureKey);
        rule(
          "§12.2",
          "duplicate_add",
          !addSigKeys.has(sig),
          "two Adds for the same client",
          f,
        );
        addSigKeys.add(sig);
        checkAddNotMember(ctx, proposal.keyPackage, removed, f);
        break;
      }
      case ProposalType.update: {
        if (sender.senderType !== SenderType.member) break; // per proposal
        const leaf = sender.leafIndex;
        rule(
          "§12.2",
          "update_by_committer",
          leaf !== committer,
          "the committer's own Update",
          f,
        );
        rule(
          "§12.2",
          "duplicate_update_remove",
          !touched.has(leaf),
          "two Updates/Removes for one leaf",
          f,
        );
        touched.add(leaf);
        updated.add(leaf);
        break;
      }
      case ProposalType.remove: {
        const r = proposal.removed;
        rule(
          "§12.2",
          "remove_committer",
          r !== committer,
          "the committer removes itself",
          f,
        );
        rule(
          "§12.2",
          "duplicate_update_remove",
          !touched.has(r),
          "two Updates/Removes for one leaf",
          f,
        );
        touched.add(r);
        break;
      }
      case ProposalType.groupContextExtensions:
        rule(
          "§12.2",
          "duplicate_gce",
          gce === undefined,
          "two GroupContextExtensions",
          f,
        );
        gce = proposal.extensions;
        break;
      case ProposalType.reinit:
        reinit = true;
        break;
      case ProposalType.externalInit:
        rule(
          "§12.2",
          "external_init_in_commit",
          false,
          "ExternalInit in a member commit",
          f,
        );
    }
  }
  rule(
    "§12.2",
    "reinit_not_alone",
    !reinit || list.length === 1,
    "ReInit together with other proposals",
    "proposals",
  );
  if (gce) checkMembersSupport(ctx, gce, removed, updated);
}

/**
 * §12.2, external commit: "valid if it contains only" exactly one
 * ExternalInit, at most one Remove, and PreSharedKey proposals. (The
 * Remove's target is checked with the path leaf: `validateCommitPath`.)
 */
function checkExternalList(list: readonly ProposalWithSender[]): void {
  let inits = 0, removes = 0;
  for (let i = 0; i < list.length; i++) {
    const t = list[i].proposal.proposalType;
    if (t === ProposalType.externalInit) inits++;
    if (t === ProposalType.remove) removes++;
    rule(
      "§12.2",
      "invalid_external_commit",
      t === ProposalType.externalInit || t === ProposalType.remove ||
        t === ProposalType.psk,
      `proposal type ${t} in an external commit`,
      `proposals[${i}]`,
    );
  }
  rule(
    "§12.2",
    "invalid_external_commit",
    inits === 1,
    "an external commit needs exactly one ExternalInit",
    "proposals",
  );
  rule(
    "§12.2",
    "invalid_external_commit",
    removes <= 1,
    "more than one Remove in an external commit",
    "proposals",
  );
}

/** §12.2: no two PreSharedKey proposals for the same PreSharedKeyID. */
function checkUniquePsks(list: readonly ProposalWithSender[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const { proposal } = list[i];
    if (proposal.proposalType !== ProposalType.psk) continue;
    const key = pskIdKey(proposal.psk);
    rule(
      "§12.2",
      "duplicate_psk",
      !seen.has(key),
      "a PSK is listed twice",
      `proposals[${i}]`,
    );
    seen.add(key);
  }
}

/**
 * §12.2: an Add for a client already in the group (same signature key) is
 * invalid unless the list removes that member.
 */
function checkAddNotMember(
  ctx: ValidationContext,
  kp: KeyPackage,
  removed: ReadonlySet<number>,
  field: string,
): void {
  const existing = ctx.tree.findLeafBySignatureKey(kp.leafNode.signatureKey);
  rule(
    "§12.2",
    "add_existing_member",
    existing === undefined || removed.has(existing),
    "Add for a client already in the group",
    field,
  );
}

/**
 * §12.1.7, §13.4: under new GroupContext extensions, every member that
 * stays (not removed; an updated leaf is checked as it enters) supports
 * them and the required capabilities. Added leaves are checked as they
 * enter the tree.
 */
function checkMembersSupport(
  ctx: ValidationContext,
  extensions: readonly Extension[],
  removed: ReadonlySet<number>,
  updated: ReadonlySet<number>,
): void {
  const group = groupRequirements(extensions);
  for (const [i, leaf] of ctx.tree.leaves()) {
    if (removed.has(i) || updated.has(i)) continue;
    checkLeafFitsGroup(leaf, `leaf[${i}]`, group);
  }
}
