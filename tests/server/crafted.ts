/**
 * Test support: messages the API and the `MLS` façade refuse to make,
 * crafted at the group and codec layers for the delivery-service attack
 * tests — a raw registered client holding its own signature key, and
 * external commits (RFC 9420 §12.4.3.2) with extra proposals, another
 * member's removal or a GroupInfo that describes another tree, each signed
 * and internally consistent so that only the service's checks stop them.
 *
 * @module
 */

import { decode, encode } from "../../src/codec/codec.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { framePublic } from "../../src/framing/public_protect.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { signFramedContent } from "../../src/framing/sign.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { groupConfig } from "../../src/group/config.ts";
import { createGroup } from "../../src/group/create.ts";
import { type NextEpoch, nextEpoch } from "../../src/group/epoch.ts";
import {
  externalPubExtension,
  externalPubFromExtensions,
  groupInfoFor,
  ratchetTreeExtension,
  ratchetTreeFromExtensions,
  signGroupInfo,
} from "../../src/group/group_info.ts";
import {
  defaultCapabilities,
  generateKeyPackage,
} from "../../src/group/key_package.ts";
import type { Credential } from "../../src/messages/credential.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import { type Proposal, ProposalType } from "../../src/messages/proposal.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { deriveExternalKeyPair } from "../../src/schedule/key_schedule.ts";
import { interimTranscriptHash } from "../../src/framing/transcript_hash.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { prepareUpdatePath } from "../../src/tree/treekem.ts";
import { fromHex, toHex, utf8Encode } from "../../src/util/bytes.ts";
import { defaultProvider } from "../../providers/mod.ts";
import type {
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { DeliveryHttp } from "../../delivery.ts";
import { signWithLabel } from "../../src/crypto/labeled.ts";
import { PROOF_LABEL, proofContent } from "../../server/shared/proof.ts";

/** A registered client whose keys the test holds. */
export interface RawClient {
  /** Suite 1. */
  cs: SuiteCrypto;
  /** Its signature key pair (the public key is its client id). */
  signer: SignatureKeyPair;
  /** A basic credential. */
  credential: Credential;
  /** Hex of the signature public key. */
  clientId: string;
  /** The API with its token. */
  http: DeliveryHttp;
}

/** Registers a client with a key package made at the group layer. */
export async function rawClient(url: string, name: string): Promise<RawClient> {
  const cs = await defaultProvider().suite(1);
  const signer = await cs.signatureGenerateKeyPair({ extractable: true });
  const credential: Credential = {
    credentialType: 1,
    identity: utf8Encode(name),
  };
  const { keyPackage } = await generateKeyPackage(cs, credential, signer);
  const http = new DeliveryHttp(url);
  // Registration proves the signature key over a fresh server challenge.
  const { challenge } = await http.challenge();
  const signature = await signWithLabel(
    cs,
    signer.privateKey,
    PROOF_LABEL,
    proofContent("register", http.url, challenge),
  );
  await http.register(
    encode(mlsMessageCodec, {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsKeyPackage,
      keyPackage,
    }),
    { challenge, signature },
  );
  return { cs, signer, credential, clientId: toHex(signer.publicKey), http };
}

/** Decodes a GroupInfo MLSMessage. */
export function groupInfoOf(bytes: Uint8Array): GroupInfo {
  const m = decode(mlsMessageCodec, bytes, "GroupInfo");
  if (m.wireFormat !== WireFormat.mlsGroupInfo) throw new Error("not a GI");
  return m.groupInfo;
}

/** Encodes an MLSMessage. */
export function bytesOf(m: MLSMessage): Uint8Array {
  return encode(mlsMessageCodec, m);
}

/** Concatenates messages into one post body. */
export function bundle(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** How to bend an external commit. */
export interface CraftOptions {
  /** Extra proposals by value (Adds are applied to the tree). */
  extra?: Proposal[];
  /** A Remove of this leaf (any member's). */
  removeLeaf?: number;
  /** Changes the tree the new GroupInfo describes (and its tree hash). */
  groupInfoTree?: (tree: RatchetTree) => void;
  /** The external public key to encrypt to instead of the GroupInfo's. */
  externalPub?: Uint8Array;
}

/** A crafted external commit and the GroupInfo of the epoch it makes. */
export interface Crafted {
  /** The commit MLSMessage. */
  commit: Uint8Array;
  /** The new epoch's GroupInfo MLSMessage, signed by the joiner. */
  groupInfo: Uint8Array;
  /** Both, as one post. */
  bundle: Uint8Array;
}

const EXTERNAL_INIT = utf8Encode("MLS 1.0 external init secret");

/**
 * An external commit by `who` into the group of `giBytes`, built as
 * `src/group/external_join.ts` does, but with the bends of `o`.
 */
export async function craftExternalCommit(
  who: RawClient,
  giBytes: Uint8Array,
  o: CraftOptions = {},
): Promise<Crafted> {
  const { cs } = who;
  const gi = groupInfoOf(giBytes);
  const ctx = gi.groupContext;
  const tree = RatchetTree.fromNodes(ratchetTreeFromExtensions(gi.extensions)!);
  const pub = o.externalPub ?? externalPubFromExtensions(gi.extensions)!;
  const { kemOutput, secret: initSecret } = await cs.hpkeExportSender(
    pub,
    new Uint8Array(0),
    EXTERNAL_INIT,
    cs.hashLength,
  );
  const proposals: Proposal[] = [
    { proposalType: ProposalType.externalInit, kemOutput },
  ];
  const newTree = tree.clone();
  if (o.removeLeaf !== undefined) {
    proposals.push({
      proposalType: ProposalType.remove,
      removed: o.removeLeaf,
    });
    newTree.removeLeaf(o.removeLeaf);
  }
  for (const p of o.extra ?? []) {
    proposals.push(p);
    if (p.proposalType === ProposalType.add) {
      newTree.addLeaf(p.keyPackage.leafNode);
    }
  }
  const me = newTree.leftmostBlankLeaf();
  const prepared = await prepareUpdatePath(cs, newTree, me, {
    groupId: ctx.groupId,
    signaturePrivateKey: who.signer.privateKey,
    leaf: {
      signatureKey: who.signer.publicKey,
      credential: who.credential,
      capabilities: defaultCapabilities(cs.id),
      extensions: [],
    },
  });
  const path = await prepared.encrypt(encode(groupContextCodec, {
    ...ctx,
    epoch: ctx.epoch + 1n,
    treeHash: prepared.treeHash,
  }));
  const interim = await interimTranscriptHash(
    cs,
    ctx.confirmedTranscriptHash,
    gi.confirmationTag,
  );
  let next: NextEpoch | undefined;
  const signed = await signFramedContent(cs, {
    groupId: ctx.groupId,
    epoch: ctx.epoch,
    sender: { senderType: SenderType.newMemberCommit },
    authenticatedData: new Uint8Array(0),
    contentType: ContentType.commit,
    commit: {
      proposals: proposals.map((proposal) => ({ type: 1, proposal })),
      path,
    },
  }, {
    wireFormat: WireFormat.mlsPublicMessage,
    signatureKey: who.signer.privateKey,
    groupContext: ctx,
    confirmationTag: async (s) => {
      next = await nextEpoch(cs, {
        context: ctx,
        interimTranscriptHash: interim,
        commit: s,
        tree: prepared.tree,
        extensions: ctx.extensions,
        initSecret,
        commitSecret: prepared.commitSecret,
        psks: [],
        config: groupConfig(),
      });
      return next.confirmationTag;
    },
  });
  const publicMessage = await framePublic(cs, signed, { groupContext: ctx });
  const epoch = next!;
  const giTree = prepared.tree.clone();
  o.groupInfoTree?.(giTree);
  const ext = await deriveExternalKeyPair(cs, epoch.keys.externalSecret);
  const newGi = await signGroupInfo(cs, {
    groupContext: { ...epoch.context, treeHash: await giTree.treeHash(cs) },
    extensions: [
      externalPubExtension(ext.publicKey),
      ratchetTreeExtension(giTree.toNodes()),
    ],
    confirmationTag: epoch.confirmationTag,
    signer: me,
  }, who.signer.privateKey);
  const commit = bytesOf({
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsPublicMessage,
    publicMessage,
  });
  const groupInfo = bytesOf({
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsGroupInfo,
    groupInfo: newGi,
  });
  return { commit, groupInfo, bundle: bundle(commit, groupInfo) };
}

/** A copy of a PublicMessage with one bit of its signature flipped. */
export function flipSignature(commit: Uint8Array): Uint8Array {
  const m = decode(mlsMessageCodec, commit, "commit");
  if (m.wireFormat !== WireFormat.mlsPublicMessage) throw new Error("public");
  const signature = m.publicMessage.auth.signature.slice();
  signature[0] ^= 1;
  return bytesOf({
    ...m,
    publicMessage: {
      ...m.publicMessage,
      auth: { ...m.publicMessage.auth, signature },
    },
  });
}

/**
 * A PrivateMessage with the header of `commit` (group, epoch, content
 * type) and random ciphertext: accepted unread, processable by no one.
 */
export function garbleCiphertext(commit: Uint8Array): Uint8Array {
  const m = decode(mlsMessageCodec, commit, "commit");
  if (m.wireFormat !== WireFormat.mlsPrivateMessage) throw new Error("priv");
  const pm = m.privateMessage;
  return bytesOf({
    ...m,
    privateMessage: {
      ...pm,
      ciphertext: crypto.getRandomValues(new Uint8Array(pm.ciphertext.length)),
    },
  });
}

/** A PrivateMessage commit for `groupId` at `epoch` made of random bytes. */
export function fakePrivateCommit(groupId: string, epoch: bigint): Uint8Array {
  return bytesOf({
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsPrivateMessage,
    privateMessage: {
      groupId: fromHex(groupId),
      epoch,
      contentType: ContentType.commit,
      authenticatedData: new Uint8Array(0),
      encryptedSenderData: crypto.getRandomValues(new Uint8Array(28)),
      ciphertext: crypto.getRandomValues(new Uint8Array(300)),
    },
  });
}

/**
 * `who`'s own one-member group under `groupId`, presented as a GroupInfo
 * of `epoch`: self-consistent (tree hash, signature), and another group.
 */
export async function forgedGroupInfo(
  who: RawClient,
  groupId: string,
  epoch: bigint,
): Promise<Uint8Array> {
  const state = await createGroup(who.cs, who.credential, who.signer, {
    groupId: fromHex(groupId),
  });
  const gi = await groupInfoFor(state, {
    ratchetTree: true,
    externalPub: true,
  });
  return resign(who, { ...gi, groupContext: { ...gi.groupContext, epoch } });
}

/** Signs `gi` again with `who`'s key (after a test changed it). */
export async function resign(
  who: RawClient,
  gi: GroupInfo,
): Promise<Uint8Array> {
  return bytesOf({
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsGroupInfo,
    groupInfo: await signGroupInfo(who.cs, gi, who.signer.privateKey),
  });
}
