/**
 * Receiving a framed message (RFC 9420 §6, §12.1, §12.4.2): unprotect it
 * with the keys of its epoch, then handle application data, cache a
 * proposal, or process a commit into the next epoch's state. Nothing is
 * changed in the given state: the caller swaps in the returned one.
 *
 * @module
 */

import { decode, encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import type { AuthenticatedContent } from "../framing/authenticated_content.ts";
import { ContentType } from "../framing/content_type.ts";
import type { FramedContent } from "../framing/framed_content.ts";
import type { MLSMessage } from "../framing/mls_message.ts";
import { unprotectPrivate } from "../framing/private_protect.ts";
import { unprotectPublic } from "../framing/public_protect.ts";
import { type Sender, SenderType } from "../framing/sender.ts";
import { WireFormat } from "../framing/wire_format.ts";
import { ExtensionType, findExtension } from "../messages/extension.ts";
import { externalSendersCodec } from "../messages/external_senders.ts";
import { groupContextCodec } from "../messages/group_context.ts";
import type { Proposal } from "../messages/proposal.ts";
import { ProposalType } from "../messages/proposal.ts";
import { externalInitReceiver } from "../schedule/external_init.ts";
import { applyUpdatePath } from "../tree/treekem.ts";
import { bytesEqual, constantTimeEqual, toHex, wipe } from "../util/bytes.ts";
import { advanceState } from "./advance.ts";
import { groupRequirements } from "./capabilities.ts";
import type { CommitSummary } from "./commit.ts";
import { nextEpoch } from "./epoch.ts";
import {
  applyToClone,
  type PendingProposal,
  proposalRef,
  type ProposalWithSender,
} from "./proposals.ts";
import { groupPskLookup, type PskLookup, resolvePsks } from "./psks.ts";
import type { GroupState, PastEpoch } from "./state.ts";
import {
  committerOf,
  resolveProposals,
  validateCommitPath,
} from "./validation/commit.ts";
import {
  validationContext,
  type ValidationOptions,
} from "./validation/context.ts";
import {
  validateProposalList,
  validateStandaloneProposal,
} from "./validation/proposal_list.ts";
import { requireReceivable } from "./validation/status.ts";
import { violation } from "../util/rule.ts";

/** What the application decides about an incoming proposal or commit. */
export interface AuthorizationCheck {
  /** `proposal` for a standalone proposal, `commit` for a commit. */
  kind: "proposal" | "commit";
  /** Who sent it. */
  sender: Sender;
  /** The sender's credential, when the sender is a member or joiner. */
  senderCredential?: import("../messages/credential.ts").Credential;
  /** The proposals it carries (for a commit: all it covers). */
  proposals: ProposalWithSender[];
}

/** Accepts (true) or rejects (false) a proposal or commit. */
export type Authorize = (
  request: AuthorizationCheck,
) => boolean | Promise<boolean>;

/**
 * Options of {@link receiveMessage}: PSKs, the application's policy, and
 * its validation settings (time, maximum lifetime, credential validator).
 */
export interface ReceiveOptions extends ValidationOptions {
  /** External PSKs and other groups' resumption PSKs. */
  psks?: PskLookup;
  /** Application policy for proposals and commits. */
  authorize?: Authorize;
}

/** The outcome of receiving one message. */
export type ReceiveResult =
  | {
    kind: "application";
    data: Uint8Array;
    sender: number;
    epoch: bigint;
    authenticatedData: Uint8Array;
  }
  | {
    kind: "proposal";
    proposal: Proposal;
    sender: Sender;
    ref: Uint8Array;
    state: GroupState;
  }
  | {
    kind: "commit";
    sender: Sender;
    summary: CommitSummary;
    state: GroupState;
  }
  | { kind: "removed"; sender: Sender; state: GroupState };

/** Signature key lookup for a sender in `tree`'s epoch. */
function signatureKeyOf(
  state: { tree: GroupState["tree"]; context: GroupState["context"] },
): (sender: Sender, content: FramedContent) => Uint8Array | undefined {
  return (sender, content) => {
    switch (sender.senderType) {
      case SenderType.member:
        return state.tree.getLeaf(sender.leafIndex)?.signatureKey;
      case SenderType.external: {
        const ext = findExtension(
          state.context.extensions,
          ExtensionType.externalSenders,
        );
        if (!ext) return undefined;
        const senders = decode(
          externalSendersCodec,
          ext.extensionData,
          "external_senders",
        );
        return senders[sender.senderIndex]?.signatureKey;
      }
      case SenderType.newMemberProposal:
        return content.contentType === ContentType.proposal &&
            content.proposal.proposalType === ProposalType.add
          ? content.proposal.keyPackage.leafNode.signatureKey
          : undefined;
      case SenderType.newMemberCommit:
        return content.contentType === ContentType.commit
          ? content.commit.path?.leafNode.signatureKey
          : undefined;
    }
  };
}

/**
 * Unprotects a Public/PrivateMessage with the keys of its epoch. A
 * handshake PrivateMessage is opened with a copy of the secret tree, which
 * is returned: its key is consumed only in the state that results once the
 * proposal or commit is fully processed, so one that fails later (a
 * proposal not received yet, a missing PSK, the application's refusal)
 * leaves `state` exactly as it was and can be retried.
 */
async function unprotect(
  state: GroupState,
  msg: MLSMessage,
): Promise<{
  content: AuthenticatedContent;
  past?: PastEpoch;
  secretTree: GroupState["secretTree"];
}> {
  const cs = state.cs;
  if (msg.wireFormat === WireFormat.mlsPublicMessage) {
    const content = await unprotectPublic(cs, msg.publicMessage, {
      groupContext: state.context,
      membershipKey: state.keys.membershipKey,
      signaturePublicKey: signatureKeyOf(state),
    });
    return { content, secretTree: state.secretTree };
  }
  if (msg.wireFormat !== WireFormat.mlsPrivateMessage) {
    throw new MlsError(
      "invalid_wire_format",
      "only PublicMessage and PrivateMessage carry group content",
      "MLSMessage.wireFormat",
    );
  }
  const pm = msg.privateMessage;
  if (!bytesEqual(pm.groupId, state.context.groupId)) {
    throw new MlsError("wrong_group", "message for another group", "groupId");
  }
  let epochState: {
    context: GroupState["context"];
    tree: GroupState["tree"];
    secretTree: GroupState["secretTree"];
    senderDataSecret: Uint8Array;
  } = {
    context: state.context,
    tree: state.tree,
    secretTree: state.secretTree,
    senderDataSecret: state.keys.senderDataSecret,
  };
  let past: PastEpoch | undefined;
  if (pm.epoch !== state.context.epoch) {
    past = state.past.find((p) => p.context.epoch === pm.epoch);
    if (!past) {
      throw new MlsError(
        "wrong_epoch",
        `message for epoch ${pm.epoch}, group is at ${state.context.epoch}`,
        "epoch",
      );
    }
    if (pm.contentType !== ContentType.application) {
      throw new MlsError(
        "wrong_epoch",
        "handshake message for a past epoch",
        "epoch",
      );
    }
    epochState = past;
  }
  // Only the current epoch's handshake messages get here.
  const secretTree = pm.contentType === ContentType.application
    ? epochState.secretTree
    : epochState.secretTree.clone();
  const content = await unprotectPrivate(cs, pm, {
    groupContext: epochState.context,
    secretTree,
    senderDataSecret: epochState.senderDataSecret,
    signaturePublicKey: signatureKeyOf(epochState),
    isMember: (leaf) => epochState.tree.getLeaf(leaf) !== undefined,
  });
  return { content, past, secretTree };
}

/**
 * Receives one Public/PrivateMessage of this group. Application messages
 * are returned as data (their key is consumed); proposals and commits come
 * back with the state to swap in.
 */
export async function receiveMessage(
  state: GroupState,
  msg: MLSMessage,
  options: ReceiveOptions = {},
): Promise<ReceiveResult> {
  requireReceivable(state, msg);
  const unprotected = await unprotect(state, msg);
  const auth = unprotected.content;
  const content = auth.content;
  switch (content.contentType) {
    case ContentType.application:
      if (content.sender.senderType !== SenderType.member) {
        throw new MlsError(
          "invalid_sender",
          "application data from a non-member",
        );
      }
      return {
        kind: "application",
        data: content.applicationData,
        sender: content.sender.leafIndex,
        epoch: content.epoch,
        authenticatedData: content.authenticatedData,
      };
    case ContentType.proposal:
    case ContentType.commit: {
      // The state with this message's handshake key consumed, if any.
      const current = unprotected.secretTree === state.secretTree
        ? state
        : { ...state, secretTree: unprotected.secretTree };
      return content.contentType === ContentType.proposal
        ? await receiveProposal(current, auth, options)
        : await processCommit(current, auth, options);
    }
  }
}

async function authorize(
  state: GroupState,
  options: ReceiveOptions,
  kind: "proposal" | "commit",
  sender: Sender,
  proposals: ProposalWithSender[],
  joinerCredential?: AuthorizationCheck["senderCredential"],
): Promise<void> {
  if (!options.authorize) return;
  const senderCredential = sender.senderType === SenderType.member
    ? state.tree.getLeaf(sender.leafIndex)?.credential
    : joinerCredential;
  const ok = await options.authorize({
    kind,
    sender,
    senderCredential,
    proposals,
  });
  if (!ok) {
    throw new MlsError(
      "unauthorized",
      `the application rejected this ${kind}`,
      kind,
    );
  }
}

async function receiveProposal(
  state: GroupState,
  auth: AuthenticatedContent,
  options: ReceiveOptions,
): Promise<ReceiveResult> {
  const content = auth.content;
  if (content.contentType !== ContentType.proposal) {
    throw new Error("unreachable");
  }
  const { proposal, sender } = content;
  const cs = state.cs;
  const entry: PendingProposal = { proposal, sender };
  // A proposal is cached only if valid on its own (§12.1): an invalid one
  // is refused here, and no member's next commit trips over it.
  await validateStandaloneProposal(validationContext(state, options), entry);
  await authorize(state, options, "proposal", sender, [entry]);
  const ref = await proposalRef(cs, auth);
  const proposals = new Map(state.proposals);
  proposals.set(toHex(ref), { ...entry, ref });
  return {
    kind: "proposal",
    proposal,
    sender,
    ref,
    state: { ...state, proposals },
  };
}

/** Processes a verified Commit (§12.4.2) into the next epoch's state. */
async function processCommit(
  state: GroupState,
  auth: AuthenticatedContent,
  options: ReceiveOptions,
): Promise<ReceiveResult> {
  const content = auth.content;
  if (content.contentType !== ContentType.commit) {
    throw new Error("unreachable");
  }
  const cs = state.cs;
  const { commit, sender } = content;
  const me = state.privateTree.leafIndex;
  let committer = committerOf(sender, me);
  const external = committer === undefined;
  const list = resolveProposals(state, commit, sender);
  const ctx = validationContext(state, options);
  await validateProposalList(ctx, list, committer);
  await validateCommitPath(ctx, list, committer, commit.path);
  await authorize(
    state,
    options,
    "commit",
    sender,
    list,
    commit.path?.leafNode.credential,
  );
  const { tree, applied } = await applyToClone(
    cs,
    state.tree,
    state.context,
    list,
    options,
  );
  const summary: CommitSummary = {
    added: applied.added,
    removed: applied.removed.map((r) => r.leafIndex),
    updated: applied.updated,
    updatedByPath: commit.path && !external ? committer : undefined,
  };
  if (summary.removed.includes(me)) {
    return {
      kind: "removed",
      sender,
      state: { ...state, status: "removed", proposals: new Map() },
    };
  }
  let initSecret = state.keys.initSecret;
  if (external && applied.externalInit !== undefined) {
    initSecret = await externalInitReceiver(
      cs,
      state.keys.externalSecret,
      applied.externalInit,
    );
    committer = tree.leftmostBlankLeaf();
  }
  let newTree = tree;
  let priv = state.privateTree.clone();
  let commitSecret: Uint8Array | undefined;
  // Our own Update may have been committed: its private key becomes ours.
  for (const [refHex, key] of state.updateKeys) {
    const p = state.proposals.get(refHex);
    if (p && list.includes(p)) {
      const leaf = tree.getLeaf(me);
      if (leaf) priv.set(2 * me, key, leaf.encryptionKey);
    }
  }
  priv.sync(tree);
  if (commit.path) {
    const provisional = (treeHash: Uint8Array) =>
      encode(groupContextCodec, {
        ...state.context,
        epoch: state.context.epoch + 1n,
        treeHash,
        extensions: applied.extensions,
      });
    const done = await applyUpdatePath(
      cs,
      tree,
      priv,
      committer!,
      commit.path,
      {
        groupId: state.context.groupId,
        ...groupRequirements(applied.extensions),
        groupContext: provisional,
        excludedLeaves: applied.added.map((a) => a.leafIndex),
      },
    );
    priv.wipe();
    newTree = done.tree;
    priv = done.privateTree;
    commitSecret = done.commitSecret;
  }
  const psks = await resolvePsks(
    applied.psks,
    groupPskLookup(state.context.groupId, state.resumptionPsks, options.psks),
  );
  const next = await nextEpoch(cs, {
    context: state.context,
    interimTranscriptHash: state.interimTranscriptHash,
    commit: auth,
    tree: newTree,
    extensions: applied.extensions,
    initSecret,
    commitSecret,
    psks,
    config: state.config,
  });
  const tag = auth.auth.confirmationTag;
  if (!tag || !constantTimeEqual(tag, next.confirmationTag)) {
    next.secretTree.wipe();
    throw violation(
      "§12.4.2",
      "invalid_confirmation_tag",
      "the commit's confirmation tag does not match",
      "auth.confirmationTag",
    );
  }
  wipe(next.joinerSecret);
  return {
    kind: "commit",
    sender,
    summary,
    state: advanceState(state, next, newTree, priv, applied.reinit),
  };
}
