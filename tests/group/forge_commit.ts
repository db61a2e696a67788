// Commits a misbehaving client could send: built from the group's own
// building blocks but without any of the committer's validation, so that
// receivers (and joiners) are the only line of defence. Both produce fully
// consistent messages (correct path, key schedule and confirmation tag): a
// receiver that lacks a check accepts them.
import { encode } from "../../src/codec/codec.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import type { MLSMessage } from "../../src/framing/mls_message.ts";
import { framePublic } from "../../src/framing/public_protect.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { signFramedContent } from "../../src/framing/sign.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { advanceState } from "../../src/group/advance.ts";
import { groupConfig } from "../../src/group/config.ts";
import { type NextEpoch, nextEpoch } from "../../src/group/epoch.ts";
import {
  frame,
  handshakeWireFormat,
  ownContent,
} from "../../src/group/framing.ts";
import {
  externalPubFromExtensions,
  groupInfoFor,
  ratchetTreeFromExtensions,
} from "../../src/group/group_info.ts";
import { defaultCapabilities } from "../../src/group/key_package.ts";
import { applyProposals } from "../../src/group/proposals.ts";
import type { GroupState } from "../../src/group/state.ts";
import { createWelcome } from "../../src/group/welcome.ts";
import type { Credential } from "../../src/messages/credential.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import type { Proposal } from "../../src/messages/proposal.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import type { Welcome } from "../../src/messages/welcome.ts";
import { interimTranscriptHash } from "../../src/framing/transcript_hash.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import {
  type LeafNodeChanges,
  prepareUpdatePath,
} from "../../src/tree/treekem.ts";
import type {
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";

/** A commit built without validation, its Welcome and the sender's state. */
export interface UncheckedCommit {
  message: MLSMessage;
  welcome?: Welcome;
  state: GroupState;
}

/**
 * A member's commit of `proposals` (by value) with a path, none of them
 * validated: what a modified client could send.
 */
export async function uncheckedCommit(
  state: GroupState,
  proposals: Proposal[],
  leaf?: LeafNodeChanges,
): Promise<UncheckedCommit> {
  const cs = state.cs;
  const me = state.privateTree.leafIndex;
  const self = { senderType: SenderType.member, leafIndex: me } as const;
  const list = proposals.map((proposal) => ({ proposal, sender: self }));
  const tree = state.tree.clone();
  const applied = await applyProposals(
    cs,
    tree,
    state.context.extensions,
    list,
    { groupId: state.context.groupId, trusted: true },
  );
  const prepared = await prepareUpdatePath(cs, tree, me, {
    groupId: state.context.groupId,
    signaturePrivateKey: state.signer,
    leaf,
    excludedLeaves: applied.added.map((a) => a.leafIndex),
  });
  const path = await prepared.encrypt(encode(groupContextCodec, {
    ...state.context,
    epoch: state.context.epoch + 1n,
    treeHash: prepared.treeHash,
    extensions: applied.extensions,
  }));
  let next: NextEpoch | undefined;
  const signed = await signFramedContent(
    cs,
    ownContent(state, {
      contentType: ContentType.commit,
      commit: {
        proposals: proposals.map((proposal) => ({ type: 1, proposal })),
        path,
      },
    }),
    {
      wireFormat: handshakeWireFormat(state),
      signatureKey: state.signer,
      groupContext: state.context,
      confirmationTag: async (s) => {
        next = await nextEpoch(cs, {
          context: state.context,
          interimTranscriptHash: state.interimTranscriptHash,
          commit: s,
          tree: prepared.tree,
          extensions: applied.extensions,
          initSecret: state.keys.initSecret,
          commitSecret: prepared.commitSecret,
          psks: [],
          config: state.config,
        });
        return next.confirmationTag;
      },
    },
  );
  const epoch = next!;
  const newState = advanceState(
    state,
    epoch,
    prepared.tree,
    prepared.privateTree,
    applied.reinit,
  );
  const message = await frame(state, signed);
  let welcome: Welcome | undefined;
  if (applied.added.length > 0) {
    welcome = await createWelcome(
      cs,
      await groupInfoFor(newState),
      epoch.joinerSecret,
      epoch.pskSecret,
      [],
      applied.added.map((a) => ({
        keyPackage: a.keyPackage,
        pathSecret: prepared.pathSecretFor(a.leafIndex),
      })),
    );
  }
  return { message, welcome, state: newState };
}

/**
 * An external commit from `joiner` carrying an ExternalInit followed by
 * `proposals` (by value), none of them validated.
 */
export async function uncheckedExternalCommit(
  cs: SuiteCrypto,
  info: GroupInfo,
  joiner: { credential: Credential; signer: SignatureKeyPair },
  proposals: Proposal[],
): Promise<MLSMessage> {
  const ctx = info.groupContext;
  const tree = RatchetTree.fromNodes(
    ratchetTreeFromExtensions(info.extensions)!,
  );
  const { kemOutput, secret: initSecret } = await cs.hpkeExportSender(
    externalPubFromExtensions(info.extensions)!,
    new Uint8Array(0),
    new TextEncoder().encode("MLS 1.0 external init secret"),
    cs.hashLength,
  );
  const sender = { senderType: SenderType.newMemberCommit } as const;
  const all: Proposal[] = [{ proposalType: 6, kemOutput }, ...proposals];
  const applied = await applyProposals(
    cs,
    tree,
    ctx.extensions,
    all.map((proposal) => ({ proposal, sender })),
    { groupId: ctx.groupId, trusted: true },
  );
  const me = tree.leftmostBlankLeaf();
  const prepared = await prepareUpdatePath(cs, tree, me, {
    groupId: ctx.groupId,
    signaturePrivateKey: joiner.signer.privateKey,
    leaf: {
      signatureKey: joiner.signer.publicKey,
      credential: joiner.credential,
      capabilities: defaultCapabilities(cs.id),
      extensions: [],
    },
    excludedLeaves: applied.added.map((a) => a.leafIndex),
  });
  const path = await prepared.encrypt(encode(groupContextCodec, {
    ...ctx,
    epoch: ctx.epoch + 1n,
    treeHash: prepared.treeHash,
    extensions: applied.extensions,
  }));
  const interim = await interimTranscriptHash(
    cs,
    ctx.confirmedTranscriptHash,
    info.confirmationTag,
  );
  const signed = await signFramedContent(cs, {
    groupId: ctx.groupId,
    epoch: ctx.epoch,
    sender,
    authenticatedData: new Uint8Array(0),
    contentType: ContentType.commit,
    commit: {
      proposals: all.map((proposal) => ({ type: 1, proposal })),
      path,
    },
  }, {
    wireFormat: WireFormat.mlsPublicMessage,
    signatureKey: joiner.signer.privateKey,
    groupContext: ctx,
    confirmationTag: async (s) =>
      (await nextEpoch(cs, {
        context: ctx,
        interimTranscriptHash: interim,
        commit: s,
        tree: prepared.tree,
        extensions: applied.extensions,
        initSecret,
        commitSecret: prepared.commitSecret,
        psks: [],
        config: groupConfig(),
      })).confirmationTag,
  });
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsPublicMessage,
    publicMessage: await framePublic(cs, signed, { groupContext: ctx }),
  };
}
