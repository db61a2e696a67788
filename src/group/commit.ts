/**
 * Creating a Commit (RFC 9420 §12.4.1): the proposals received this epoch
 * plus any given by value, validated (§12.2) and applied (§12.3), an
 * UpdatePath when required or asked for, the key schedule, the framed
 * commit, a GroupInfo and — when members are added — their Welcome.
 *
 * The result holds the next state but does not touch the current one: the
 * caller keeps it pending until the delivery service confirms the commit.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { signFramedContent } from "../framing/sign.ts";
import type { MLSMessage } from "../framing/mls_message.ts";
import { ContentType } from "../framing/content_type.ts";
import { SenderType } from "../framing/sender.ts";
import { WireFormat } from "../framing/wire_format.ts";
import { type ProposalOrRef, ProposalOrRefType } from "../messages/commit.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../messages/group_context.ts";
import type { GroupInfo } from "../messages/group_info.ts";
import type { KeyPackage } from "../messages/key_package.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import type { UpdatePath } from "../messages/update_path.ts";
import type { Welcome } from "../messages/welcome.ts";
import type { LeafNodeChanges } from "../tree/treekem.ts";
import { toHex } from "../util/bytes.ts";
import { prepareUpdatePath } from "../tree/treekem.ts";

import { advanceState } from "./advance.ts";
import { type NextEpoch, nextEpoch } from "./epoch.ts";
import { frame, handshakeWireFormat, ownContent } from "./framing.ts";
import { groupInfoFor } from "./group_info.ts";
import {
  type AppliedProposals,
  applyToClone,
  type PendingProposal,
  type ProposalWithSender,
  pskIdKey,
} from "./proposals.ts";
import { groupPskLookup, type PskLookup, resolvePsks } from "./psks.ts";
import type { GroupState } from "./state.ts";
import { pathRequired } from "./validation/commit.ts";
import {
  type ValidationContext,
  validationContext,
  type ValidationOptions,
} from "./validation/context.ts";
import { validateProposalList } from "./validation/proposal_list.ts";
import { requireActive } from "./validation/status.ts";
import { createWelcome } from "./welcome.ts";
import type { PskInput } from "../schedule/psk.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";

/**
 * Options of {@link createCommit}, with the validation settings (`now`,
 * `maxLifetime`, `validateCredential`) the proposals are checked with.
 */
export interface CommitOptions extends ValidationOptions {
  /** Proposals to commit by value, after the pending ones. */
  proposals?: Proposal[];
  /** Commit the proposals received this epoch (default true). */
  includePending?: boolean;
  /** Force an UpdatePath even when none is required (default true). */
  path?: boolean;
  /** Changes to the committer's leaf carried by the path. */
  leaf?: LeafNodeChanges;
  /** Application data authenticated with the commit. */
  authenticatedData?: Uint8Array;
  /** External PSKs and other groups' resumption PSKs. */
  psks?: PskLookup;
  /**
   * Permits a resumption PSK of this usage (reinit or branch), for the
   * first commit of a reinitialized or branched group (§11.2, §11.3).
   */
  resumptionUsage?: number;
}

/** Who a commit added, removed and updated. */
export interface CommitSummary {
  /** Leaves added, with their key packages. */
  added: { leafIndex: number; keyPackage: KeyPackage }[];
  /** Leaves removed. */
  removed: number[];
  /** Leaves updated by Update proposals. */
  updated: number[];
  /**
   * The committer's leaf when the commit carries an UpdatePath and the
   * committer is a member: the path replaces its leaf node and refreshes
   * its keys (RFC 9420 §12.4.1, §12.4.2), an update as much as an Update
   * proposal is. Absent without a path, and for an external commit (whose
   * committer joins rather than updates).
   */
  updatedByPath?: number;
}

/** A created commit and everything that goes with it. */
export interface CreatedCommit {
  /** The Commit as an MLSMessage for the delivery service. */
  message: MLSMessage;
  /** A Welcome for the added members, if any. */
  welcome?: Welcome;
  /** A signed GroupInfo of the new epoch (for external joins). */
  groupInfo: GroupInfo;
  /** The state of the new epoch, to swap in once the commit is accepted. */
  state: GroupState;
  /** What the commit changes. */
  summary: CommitSummary;
  /**
   * Received proposals left out because the list would not be valid with
   * them (§12.4), each with the reason. They are not retried: the commit
   * starts a new epoch.
   */
  dropped: DroppedProposal[];
}

/** A pending proposal a commit left out, and why. */
export interface DroppedProposal {
  /** The proposal, as received. */
  proposal: ProposalWithSender;
  /** The rule it broke in this commit's list. */
  error: MlsError;
}

/**
 * The pending proposals a committer includes: all valid ones, "as long as
 * this results in a valid proposal list" (§12.4). Our own Update is
 * superseded by the path, and a Remove of us cannot be ours to commit.
 * Where proposals conflict (§12.2), one is chosen and the rest left out:
 * for one leaf, a Remove (the first; none if `explicit` removes it) over
 * any Update, else the most recent Update; for one client (signature
 * key) or one PSK, the first Add or PreSharedKey (none if `explicit` has
 * one); the most recent GroupContextExtensions (none if `explicit` has
 * one); a ReInit only when nothing else is committed (§12.2 prefers the
 * other proposals).
 */
export function pendingProposals(
  state: GroupState,
  explicit: readonly Proposal[] = [],
): ProposalWithSender[] {
  const me = state.privateTree.leafIndex;
  const all = [...state.proposals.values()];
  const removedLeaves = new Set<number>();
  const addKeys = new Set<string>();
  const pskKeys = new Set<string>();
  let gce = false;
  for (const p of explicit) {
    if (p.proposalType === ProposalType.remove) removedLeaves.add(p.removed);
    if (p.proposalType === ProposalType.add) {
      addKeys.add(toHex(p.keyPackage.leafNode.signatureKey));
    }
    if (p.proposalType === ProposalType.psk) pskKeys.add(pskIdKey(p.psk));
    if (p.proposalType === ProposalType.groupContextExtensions) gce = true;
  }
  // Leaves some pending Remove targets; the last Update and GCE.
  const removeTargets = new Set(removedLeaves);
  const lastUpdate = new Map<number, ProposalWithSender>();
  let lastGce: ProposalWithSender | undefined;
  for (const p of all) {
    const { proposal, sender } = p;
    if (proposal.proposalType === ProposalType.remove) {
      removeTargets.add(proposal.removed);
    } else if (
      proposal.proposalType === ProposalType.update &&
      sender.senderType === SenderType.member
    ) {
      lastUpdate.set(sender.leafIndex, p);
    } else if (proposal.proposalType === ProposalType.groupContextExtensions) {
      lastGce = p;
    }
  }
  const out: ProposalWithSender[] = [];
  const reinits: ProposalWithSender[] = [];
  for (const p of all) {
    const { proposal, sender } = p;
    switch (proposal.proposalType) {
      case ProposalType.update: {
        if (sender.senderType !== SenderType.member) break;
        const leaf = sender.leafIndex;
        if (leaf === me || removeTargets.has(leaf)) break;
        if (lastUpdate.get(leaf) === p) out.push(p);
        break;
      }
      case ProposalType.remove:
        if (proposal.removed === me || removedLeaves.has(proposal.removed)) {
          break;
        }
        removedLeaves.add(proposal.removed);
        out.push(p);
        break;
      case ProposalType.add: {
        const key = toHex(proposal.keyPackage.leafNode.signatureKey);
        if (addKeys.has(key)) break;
        addKeys.add(key);
        out.push(p);
        break;
      }
      case ProposalType.psk: {
        const key = pskIdKey(proposal.psk);
        if (pskKeys.has(key)) break;
        pskKeys.add(key);
        out.push(p);
        break;
      }
      case ProposalType.groupContextExtensions:
        if (!gce && lastGce === p) out.push(p);
        break;
      case ProposalType.reinit:
        reinits.push(p);
        break;
      default:
        out.push(p);
    }
  }
  if (out.length === 0 && explicit.length === 0 && reinits.length > 0) {
    return [reinits[0]];
  }
  return out;
}

/** Creates a Commit (§12.4.1); `state` is left unchanged. */
export async function createCommit(
  state: GroupState,
  options: CommitOptions = {},
): Promise<CreatedCommit> {
  requireActive(state);
  const cs = state.cs;
  const me = state.privateTree.leafIndex;
  const self = { senderType: SenderType.member, leafIndex: me } as const;
  const explicit: ProposalWithSender[] = (options.proposals ?? []).map((
    proposal,
  ) => ({ proposal, sender: self }));
  const pending = options.includePending === false
    ? []
    : pendingProposals(state, options.proposals);
  const ctx = validationContext(state, options, options.resumptionUsage);
  const lookup = groupPskLookup(
    state.context.groupId,
    state.resumptionPsks,
    options.psks,
  );
  const { list, prepared, dropped } = await choose(
    pending,
    explicit,
    (l) => prepareList(ctx, state, l, options, lookup),
  );
  const { tree, applied, psks } = prepared;
  const withPath = pathRequired(list) || options.path !== false;
  const provisional = (treeHash: Uint8Array): GroupContext => ({
    ...state.context,
    epoch: state.context.epoch + 1n,
    treeHash,
    extensions: applied.extensions,
  });
  let newTree = tree;
  let priv = state.privateTree.clone();
  let commitSecret: Uint8Array | undefined;
  let updatePath: UpdatePath | undefined;
  let pathSecretFor: (leaf: number) => Uint8Array | undefined = () => undefined;
  if (withPath) {
    const prepared = await prepareUpdatePath(cs, tree, me, {
      groupId: state.context.groupId,
      signaturePrivateKey: state.signer,
      leaf: options.leaf,
      excludedLeaves: applied.added.map((a) => a.leafIndex),
    });
    updatePath = await prepared.encrypt(
      encode(groupContextCodec, provisional(prepared.treeHash)),
    );
    newTree = prepared.tree;
    priv.wipe();
    priv = prepared.privateTree;
    commitSecret = prepared.commitSecret;
    pathSecretFor = (leaf) => prepared.pathSecretFor(leaf);
  } else {
    priv.sync(newTree);
  }
  const proposals: ProposalOrRef[] = list.map((p) =>
    p.ref
      ? { type: ProposalOrRefType.reference, reference: p.ref }
      : { type: ProposalOrRefType.proposal, proposal: p.proposal }
  );
  const content = ownContent(state, {
    contentType: ContentType.commit,
    commit: { proposals, path: updatePath },
  }, options.authenticatedData);
  let next: NextEpoch | undefined;
  const signed = await signFramedContent(cs, content, {
    wireFormat: handshakeWireFormat(state),
    signatureKey: state.signer,
    groupContext: state.context,
    confirmationTag: async (s) => {
      next = await nextEpoch(cs, {
        context: state.context,
        interimTranscriptHash: state.interimTranscriptHash,
        commit: s,
        tree: newTree,
        extensions: applied.extensions,
        initSecret: state.keys.initSecret,
        commitSecret,
        psks,
        config: state.config,
      });
      return next.confirmationTag;
    },
  });
  const epoch = next!;
  const newState = advanceState(state, epoch, newTree, priv, applied.reinit);
  const [message, groupInfo] = await Promise.all([
    frame(state, signed),
    groupInfoFor(newState),
  ]);
  let welcome: Welcome | undefined;
  if (applied.added.length > 0) {
    const welcomeInfo = newState.config.ratchetTreeExtension
      ? groupInfo
      : await groupInfoFor(newState, { ratchetTree: false });
    welcome = await createWelcome(
      cs,
      welcomeInfo,
      epoch.joinerSecret,
      epoch.pskSecret,
      applied.psks,
      applied.added.map((a) => ({
        keyPackage: a.keyPackage,
        pathSecret: pathSecretFor(a.leafIndex),
      })),
    );
  }
  return {
    message,
    welcome,
    groupInfo,
    state: newState,
    summary: {
      added: applied.added,
      removed: applied.removed.map((r) => r.leafIndex),
      updated: applied.updated,
      updatedByPath: updatePath ? me : undefined,
    },
    dropped,
  };
}

/** A validated list applied to the tree, with its PSKs resolved. */
interface Prepared {
  tree: RatchetTree;
  applied: AppliedProposals;
  psks: PskInput[];
}

/**
 * Validates (§12.2), applies (§12.3) and resolves the PSKs of (§12.4.2)
 * one candidate list.
 */
async function prepareList(
  ctx: ValidationContext,
  state: GroupState,
  list: readonly ProposalWithSender[],
  options: CommitOptions,
  lookup: PskLookup,
): Promise<Prepared> {
  await validateProposalList(ctx, list, state.privateTree.leafIndex);
  const { tree, applied } = await applyToClone(
    state.cs,
    state.tree,
    state.context,
    list,
    options,
  );
  const psks = await resolvePsks(applied.psks, lookup);
  return { tree, applied, psks };
}

/**
 * The list to commit: the pending proposals and the explicit ones when
 * that list is valid; otherwise the explicit ones (which must be valid)
 * plus each pending proposal that keeps the list valid, in order (§12.4:
 * include received proposals "as long as this results in a valid
 * proposal list"). A received proposal can thus never stop this member
 * from committing.
 */
async function choose(
  pending: readonly PendingProposal[],
  explicit: readonly ProposalWithSender[],
  prepare: (list: readonly ProposalWithSender[]) => Promise<Prepared>,
): Promise<{
  list: ProposalWithSender[];
  prepared: Prepared;
  dropped: DroppedProposal[];
}> {
  try {
    const list = [...pending, ...explicit];
    return { list, prepared: await prepare(list), dropped: [] };
  } catch (e) {
    if (pending.length === 0 || !(e instanceof MlsError)) throw e;
  }
  let prepared = await prepare(explicit);
  const kept: ProposalWithSender[] = [];
  const dropped: DroppedProposal[] = [];
  for (const p of pending) {
    try {
      prepared = await prepare([...kept, p, ...explicit]);
      kept.push(p);
    } catch (e) {
      if (!(e instanceof MlsError)) throw e;
      dropped.push({ proposal: p, error: e });
    }
  }
  return { list: [...kept, ...explicit], prepared, dropped };
}

/** An MLSMessage wrapping a Welcome. */
export function welcomeMessage(welcome: Welcome): MLSMessage {
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsWelcome,
    welcome,
  };
}

/** An MLSMessage wrapping a GroupInfo. */
export function groupInfoMessage(groupInfo: GroupInfo): MLSMessage {
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsGroupInfo,
    groupInfo,
  };
}
