/**
 * Reinitialization (RFC 9420 §11.2) and subgroup branching (§11.3): a new
 * group whose first epoch is tied to the old one by a resumption PSK, and
 * the joiner-side checks the RFC requires for each.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { credentialCodec } from "../messages/credential.ts";
import type { KeyPackage } from "../messages/key_package.ts";
import { ProposalType } from "../messages/proposal.ts";
import {
  type PreSharedKeyID,
  PSKType,
  ResumptionPSKUsage,
} from "../messages/psk.ts";
import type { Welcome } from "../messages/welcome.ts";
import type {
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import { createCommit, type CreatedCommit } from "./commit.ts";
import { createGroup, type CreateGroupOptions } from "./create.ts";
import type { KeyPackageOptions } from "./key_package.ts";
import type { PskLookup } from "./psks.ts";
import type { GroupState } from "./state.ts";
import { type Joined, joinFromWelcome, type JoinInput } from "./welcome.ts";
import { extensionsCodec } from "../messages/extension.ts";

/** The resumption PSK id that ties a new group to `old` (§8.6). */
function resumptionId(
  cs: SuiteCrypto,
  old: GroupState,
  usage: ResumptionPSKUsage,
): PreSharedKeyID {
  return {
    pskType: PSKType.resumption,
    usage,
    pskGroupId: old.context.groupId,
    pskEpoch: old.context.epoch,
    pskNonce: cs.randomBytes(cs.hashLength),
  };
}

/** A lookup that yields `old`'s current resumption PSK. */
function oldGroupPsk(old: GroupState, fallback?: PskLookup): PskLookup {
  return (id) =>
    id.pskType === PSKType.resumption &&
      bytesEqual(id.pskGroupId, old.context.groupId) &&
      id.pskEpoch === old.context.epoch
      ? old.keys.resumptionPsk
      : fallback?.(id);
}

/** Creates the new group and its first commit, adding `keyPackages`. */
async function resumedGroup(
  cs: SuiteCrypto,
  old: GroupState,
  usage: ResumptionPSKUsage,
  signer: SignatureKeyPair,
  keyPackages: readonly KeyPackage[],
  options: CreateGroupOptions,
): Promise<CreatedCommit> {
  const me = old.tree.getLeaf(old.privateTree.leafIndex)!;
  const created = await createGroup(cs, me.credential, signer, options);
  return await createCommit(created, {
    proposals: [
      ...keyPackages.map((keyPackage) => ({
        proposalType: ProposalType.add,
        keyPackage,
      } as const)),
      { proposalType: ProposalType.psk, psk: resumptionId(cs, old, usage) },
    ],
    psks: oldGroupPsk(old),
    resumptionUsage: usage,
  });
}

/**
 * After a commit with a ReInit (the old state's `status` is `"reinit"`),
 * creates the new group its parameters describe and adds the given
 * members' key packages (for the new suite), with a `reinit` resumption
 * PSK (§11.2). `cs` must be the ReInit's cipher suite; `leaf` sets the
 * creator's new leaf (its capabilities).
 */
export async function reinitGroup(
  cs: SuiteCrypto,
  old: GroupState,
  signer: SignatureKeyPair,
  keyPackages: readonly KeyPackage[],
  config?: CreateGroupOptions["config"],
  leaf: KeyPackageOptions = {},
): Promise<CreatedCommit> {
  const r = old.reinit;
  if (old.status !== "reinit" || !r) {
    throw new MlsError(
      "not_reinitialized",
      "the group has no committed ReInit",
    );
  }
  if (cs.id !== r.cipherSuite) {
    throw new MlsError(
      "cipher_suite_mismatch",
      "not the ReInit's cipher suite",
    );
  }
  return await resumedGroup(
    cs,
    old,
    ResumptionPSKUsage.reinit,
    signer,
    keyPackages,
    {
      ...leaf,
      groupId: r.groupId,
      extensions: r.extensions,
      config,
    },
  );
}

/**
 * Branches a subgroup (§11.3): a new group with the same suite and version
 * whose members are a subset of `old`'s, tied to it by a `branch`
 * resumption PSK.
 */
export async function branchGroup(
  old: GroupState,
  signer: SignatureKeyPair,
  keyPackages: readonly KeyPackage[],
  options: CreateGroupOptions = {},
): Promise<CreatedCommit> {
  return await resumedGroup(
    old.cs,
    old,
    ResumptionPSKUsage.branch,
    signer,
    keyPackages,
    options,
  );
}

function credentialKeys(state: GroupState): Set<string> {
  const out = new Set<string>();
  for (const [, leaf] of state.tree.leaves()) {
    out.add(toHex(encode(credentialCodec, leaf.credential)));
  }
  return out;
}

function checkResumption(
  old: GroupState,
  joined: Joined,
  usage: ResumptionPSKUsage,
): void {
  const ids = joined.psks.filter((p) =>
    p.pskType === PSKType.resumption && p.usage === usage
  );
  const ok = ids.length === 1 && ids[0].pskType === PSKType.resumption &&
    bytesEqual(ids[0].pskGroupId, old.context.groupId) &&
    ids[0].pskEpoch === old.context.epoch;
  if (!ok) {
    throw new MlsError(
      "invalid_resumption",
      "the Welcome does not carry this group's resumption PSK",
      "GroupSecrets.psks",
    );
  }
  if (joined.state.context.epoch !== 1n) {
    throw new MlsError(
      "invalid_resumption",
      "a resumed group must start at epoch 1",
      "GroupInfo.groupContext.epoch",
    );
  }
}

/**
 * Joins the group that replaces `old` after a ReInit (§11.2, §12.4.3.1):
 * the Welcome must carry `old`'s reinit PSK, the new group must match the
 * ReInit, and every member of the old group must be in the new one.
 */
export async function joinReinit(
  cs: SuiteCrypto,
  old: GroupState,
  welcome: Welcome,
  input: JoinInput,
): Promise<Joined> {
  const r = old.reinit;
  if (old.status !== "reinit" || !r) {
    throw new MlsError(
      "not_reinitialized",
      "the group has no committed ReInit",
    );
  }
  const joined = await joinFromWelcome(cs, welcome, {
    ...input,
    psks: oldGroupPsk(old, input.psks),
  });
  checkResumption(old, joined, ResumptionPSKUsage.reinit);
  const ctx = joined.state.context;
  if (
    !bytesEqual(ctx.groupId, r.groupId) || ctx.version !== r.version ||
    ctx.cipherSuite !== r.cipherSuite ||
    !bytesEqual(
      encode(extensionsCodec, ctx.extensions),
      encode(extensionsCodec, r.extensions),
    )
  ) {
    throw new MlsError(
      "invalid_resumption",
      "the new group does not match the ReInit proposal",
      "GroupInfo.groupContext",
    );
  }
  const now = credentialKeys(joined.state);
  for (const c of credentialKeys(old)) {
    if (!now.has(c)) {
      throw new MlsError(
        "invalid_resumption",
        "a member of the old group is missing from the new one",
        "ratchetTree",
      );
    }
  }
  return joined;
}

/**
 * Joins a subgroup branched from `old` (§11.3): same version and suite,
 * and only members of the old group.
 */
export async function joinBranch(
  old: GroupState,
  welcome: Welcome,
  input: JoinInput,
): Promise<Joined> {
  const joined = await joinFromWelcome(old.cs, welcome, {
    ...input,
    psks: oldGroupPsk(old, input.psks),
  });
  checkResumption(old, joined, ResumptionPSKUsage.branch);
  if (joined.state.context.version !== old.context.version) {
    throw new MlsError("invalid_resumption", "branch changed the version");
  }
  const before = credentialKeys(old);
  for (const c of credentialKeys(joined.state)) {
    if (!before.has(c)) {
      throw new MlsError(
        "invalid_resumption",
        "the branch has a member who was not in the old group",
        "ratchetTree",
      );
    }
  }
  return joined;
}
