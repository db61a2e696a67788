/**
 * Joining by external commit (RFC 9420 §12.4.3.2): from a GroupInfo with
 * `external_pub`, the joiner derives the init secret by HPKE export (§8.3),
 * takes the leftmost blank leaf, commits with a path, and — to resync — may
 * remove its own earlier appearance in the same commit.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { ContentType } from "../framing/content_type.ts";
import type { MLSMessage } from "../framing/mls_message.ts";
import { framePublic } from "../framing/public_protect.ts";
import { SenderType } from "../framing/sender.ts";
import { signFramedContent } from "../framing/sign.ts";
import { WireFormat } from "../framing/wire_format.ts";
import { ProposalOrRefType } from "../messages/commit.ts";
import type { Credential } from "../messages/credential.ts";
import { groupContextCodec } from "../messages/group_context.ts";
import type { GroupInfo } from "../messages/group_info.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import type { PreSharedKeyID } from "../messages/psk.ts";
import type { RatchetTree as WireTree } from "../messages/ratchet_tree.ts";
import { interimTranscriptHash } from "../framing/transcript_hash.ts";
import { prepareUpdatePath } from "../tree/treekem.ts";
import type {
  CryptoProvider,
  SignatureKeyPair,
} from "../../providers/provider.ts";
import { externalInitSender } from "../schedule/external_init.ts";
import { type GroupConfig, groupConfig } from "./config.ts";
import { type NextEpoch, nextEpoch } from "./epoch.ts";
import { externalPubFromExtensions } from "./group_info.ts";
import { verifiedGroupTree } from "./group_tree.ts";
import { defaultCapabilities, type KeyPackageOptions } from "./key_package.ts";
import { type PskLookup, resolvePsks } from "./psks.ts";
import type { GroupState } from "./state.ts";
import type { ValidationOptions } from "./validation/context.ts";
import { checkJoinerSupport } from "./validation/join.ts";

/**
 * What an external joiner brings, with its validation settings for the
 * group's tree (`now`, `maxLifetime`, `validateCredential`).
 */
export interface ExternalJoinInput extends ValidationOptions {
  /** The group's current GroupInfo, with `external_pub`. */
  groupInfo: GroupInfo;
  /** The tree, if the GroupInfo does not carry it. */
  ratchetTree?: WireTree;
  /** The joiner's credential. */
  credential: Credential;
  /** The joiner's signature key pair. */
  signer: SignatureKeyPair;
  /**
   * Resync (§12.4.3.2): remove this leaf — an earlier appearance of the
   * joiner — in the same commit. `"auto"` finds it by signature key.
   */
  removeLeaf?: number | "auto";
  /** PSKs to inject, with the lookup that yields their values. */
  psks?: { ids: PreSharedKeyID[]; lookup: PskLookup };
  /** Capabilities and leaf extensions of the new leaf. */
  leaf?: Pick<KeyPackageOptions, "capabilities" | "leafExtensions">;
  /** Application data authenticated with the commit. */
  authenticatedData?: Uint8Array;
  /** Settings for the joined group. */
  config?: Partial<GroupConfig>;
}

/** The external commit to send, and the joiner's state once it is accepted. */
export interface ExternalJoin {
  /** The commit, a PublicMessage from a `new_member_commit` sender. */
  message: MLSMessage;
  /** The joiner's state in the new epoch. */
  state: GroupState;
}

/** Builds an external commit that adds (or re-adds) the caller (§12.4.3.2). */
export async function joinExternal(
  provider: CryptoProvider,
  input: ExternalJoinInput,
): Promise<ExternalJoin> {
  const info = input.groupInfo;
  const ctx = info.groupContext;
  const cs = await provider.suite(ctx.cipherSuite);
  const externalPub = externalPubFromExtensions(info.extensions);
  if (!externalPub) {
    throw new MlsError(
      "missing_external_pub",
      "the GroupInfo does not allow external joins (no external_pub)",
      "GroupInfo.extensions",
    );
  }
  const tree = await verifiedGroupTree(cs, info, input.ratchetTree, input);
  const capabilities = input.leaf?.capabilities ?? defaultCapabilities(cs.id);
  checkJoinerSupport({ capabilities }, ctx.extensions);
  const { kemOutput, initSecret } = await externalInitSender(cs, externalPub);
  const proposals: Proposal[] = [
    { proposalType: ProposalType.externalInit, kemOutput },
  ];
  const newTree = tree.clone();
  const removed = input.removeLeaf === "auto"
    ? tree.findLeafBySignatureKey(input.signer.publicKey)
    : input.removeLeaf;
  if (removed !== undefined) {
    if (!tree.getLeaf(removed)) {
      throw new MlsError(
        "remove_blank_leaf",
        "no member to resync at this leaf",
        "removeLeaf",
      );
    }
    proposals.push({ proposalType: ProposalType.remove, removed });
    newTree.removeLeaf(removed);
  }
  for (const psk of input.psks?.ids ?? []) {
    proposals.push({ proposalType: ProposalType.psk, psk });
  }
  const psks = await resolvePsks(
    input.psks?.ids ?? [],
    input.psks?.lookup ?? (() => undefined),
  );
  const me = newTree.leftmostBlankLeaf();
  const prepared = await prepareUpdatePath(cs, newTree, me, {
    groupId: ctx.groupId,
    signaturePrivateKey: input.signer.privateKey,
    leaf: {
      signatureKey: input.signer.publicKey,
      credential: input.credential,
      capabilities,
      extensions: input.leaf?.leafExtensions ?? [],
    },
  });
  const updatePath = await prepared.encrypt(encode(groupContextCodec, {
    ...ctx,
    epoch: ctx.epoch + 1n,
    treeHash: prepared.treeHash,
  }));
  const config = groupConfig(input.config);
  const interimBefore = await interimTranscriptHash(
    cs,
    ctx.confirmedTranscriptHash,
    info.confirmationTag,
  );
  let next: NextEpoch | undefined;
  const signed = await signFramedContent(cs, {
    groupId: ctx.groupId,
    epoch: ctx.epoch,
    sender: { senderType: SenderType.newMemberCommit },
    authenticatedData: input.authenticatedData ?? new Uint8Array(0),
    contentType: ContentType.commit,
    commit: {
      proposals: proposals.map((proposal) => ({
        type: ProposalOrRefType.proposal,
        proposal,
      })),
      path: updatePath,
    },
  }, {
    wireFormat: WireFormat.mlsPublicMessage,
    signatureKey: input.signer.privateKey,
    groupContext: ctx,
    confirmationTag: async (s) => {
      next = await nextEpoch(cs, {
        context: ctx,
        interimTranscriptHash: interimBefore,
        commit: s,
        tree: prepared.tree,
        extensions: ctx.extensions,
        initSecret,
        commitSecret: prepared.commitSecret,
        psks,
        config,
      });
      return next.confirmationTag;
    },
  });
  const publicMessage = await framePublic(cs, signed, { groupContext: ctx });
  const epoch = next!;
  const state: GroupState = {
    cs,
    config,
    context: epoch.context,
    tree: prepared.tree,
    privateTree: prepared.privateTree,
    signer: input.signer.privateKey,
    keys: epoch.keys,
    secretTree: epoch.secretTree,
    interimTranscriptHash: epoch.interimTranscriptHash,
    confirmationTag: epoch.confirmationTag,
    proposals: new Map(),
    updateKeys: new Map(),
    resumptionPsks: new Map([[epoch.context.epoch, epoch.keys.resumptionPsk]]),
    past: [],
    status: "active",
  };
  return {
    message: {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsPublicMessage,
      publicMessage,
    },
    state,
  };
}
