// message-protection.json: PublicMessage and PrivateMessage protect and
// unprotect (RFC 9420 §6.1–§6.3), for a proposal, a commit and application
// data sent by leaf 1 of a two-member group.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";

import { decode, encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import type { AuthenticatedContent } from "../../src/framing/authenticated_content.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import type {
  FramedContent,
  FramedContentBody,
} from "../../src/framing/framed_content.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import type { PrivateMessage } from "../../src/framing/private_message.ts";
import {
  protectPrivate,
  unprotectPrivate,
} from "../../src/framing/private_protect.ts";
import type { PublicMessage } from "../../src/framing/public_message.ts";
import {
  protectPublic,
  unprotectPublic,
} from "../../src/framing/public_protect.ts";
import { SenderType } from "../../src/framing/sender.ts";
import type { SignatureKeyLookup } from "../../src/framing/sign.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { commitCodec } from "../../src/messages/commit.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../../src/messages/group_context.ts";
import { proposalCodec } from "../../src/messages/proposal.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { SecretTree } from "../../src/schedule/secret_tree.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface MessageProtectionVector {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  tree_hash: string;
  confirmed_transcript_hash: string;
  signature_priv: string;
  signature_pub: string;
  encryption_secret: string;
  sender_data_secret: string;
  membership_key: string;
  proposal: string;
  proposal_pub: string;
  proposal_priv: string;
  commit: string;
  commit_pub: string;
  commit_priv: string;
  application: string;
  application_priv: string;
}

const SENDER = 1;
const LEAVES = 2;

/** The raw value a content body carries, hex. */
function bodyHex(body: FramedContentBody): string {
  switch (body.contentType) {
    case ContentType.application:
      return toHex(body.applicationData);
    case ContentType.proposal:
      return toHex(encode(proposalCodec, body.proposal));
    case ContentType.commit:
      return toHex(encode(commitCodec, body.commit));
  }
}

function parseBody(
  contentType: ContentType,
  hex: string,
): FramedContentBody {
  const raw = fromHex(hex);
  switch (contentType) {
    case ContentType.application:
      return { contentType, applicationData: raw };
    case ContentType.proposal:
      return { contentType, proposal: decode(proposalCodec, raw, "Proposal") };
    case ContentType.commit:
      return { contentType, commit: decode(commitCodec, raw, "Commit") };
  }
}

function publicOf(hex: string): PublicMessage {
  const m = decode(mlsMessageCodec, fromHex(hex), "MLSMessage");
  assert.equal(m.wireFormat, WireFormat.mlsPublicMessage);
  return m.publicMessage;
}

function privateOf(hex: string): PrivateMessage {
  const m = decode(mlsMessageCodec, fromHex(hex), "MLSMessage");
  assert.equal(m.wireFormat, WireFormat.mlsPrivateMessage);
  return m.privateMessage;
}

/** Through the wire and back. */
function roundTrip(m: MLSMessage): MLSMessage {
  return decode(mlsMessageCodec, encode(mlsMessageCodec, m), "MLSMessage");
}

function checkAuthenticated(
  ac: AuthenticatedContent,
  wireFormat: WireFormat,
  hex: string,
  what: string,
): void {
  assert.equal(ac.wireFormat, wireFormat, `${what} wire format`);
  assert.deepEqual(
    ac.content.sender,
    { senderType: SenderType.member, leafIndex: SENDER },
    `${what} sender`,
  );
  assert.equal(bodyHex(ac.content), hex, `${what} content`);
}

/** Checks one message-protection entry. */
export async function check(v: MessageProtectionVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const context: GroupContext = {
    version: ProtocolVersion.mls10,
    cipherSuite: v.cipher_suite,
    groupId: fromHex(v.group_id),
    epoch: BigInt(v.epoch),
    treeHash: fromHex(v.tree_hash),
    confirmedTranscriptHash: fromHex(v.confirmed_transcript_hash),
    extensions: [],
  };
  const contextBytes = encode(groupContextCodec, context);
  const signaturePub = fromHex(v.signature_pub);
  const signatureKey = await cs.signatureImportPrivateKey(
    fromHex(v.signature_priv),
  );
  const membershipKey = fromHex(v.membership_key);
  const senderDataSecret = fromHex(v.sender_data_secret);
  const lookup: SignatureKeyLookup = (s) =>
    s.senderType === SenderType.member && s.leafIndex === SENDER
      ? signaturePub
      : undefined;
  const tree = () =>
    SecretTree.create(cs, fromHex(v.encryption_secret), LEAVES);
  const unprotectPriv = (m: PrivateMessage, secretTree: SecretTree) =>
    unprotectPrivate(cs, m, {
      groupContext: contextBytes,
      secretTree,
      senderDataSecret,
      signaturePublicKey: lookup,
      isMember: (i) => i < LEAVES,
    });

  const cases = [
    [ContentType.proposal, v.proposal, v.proposal_pub, v.proposal_priv],
    [ContentType.commit, v.commit, v.commit_pub, v.commit_priv],
    [ContentType.application, v.application, undefined, v.application_priv],
  ] as const;
  for (const [contentType, raw, pubHex, privHex] of cases) {
    const what = ["", "application", "proposal", "commit"][contentType];
    let confirmationTag: Uint8Array | undefined;

    // The given PublicMessage.
    if (pubHex !== undefined) {
      const ac = await unprotectPublic(cs, publicOf(pubHex), {
        groupContext: context,
        membershipKey,
        signaturePublicKey: lookup,
      });
      checkAuthenticated(ac, WireFormat.mlsPublicMessage, raw, `${what}_pub`);
      confirmationTag = ac.auth.confirmationTag;
    }

    // The given PrivateMessage, with a fresh secret tree.
    const priv = await unprotectPriv(privateOf(privHex), tree());
    checkAuthenticated(priv, WireFormat.mlsPrivateMessage, raw, `${what}_priv`);
    confirmationTag ??= priv.auth.confirmationTag;

    const content: FramedContent = {
      groupId: context.groupId,
      epoch: context.epoch,
      sender: { senderType: SenderType.member, leafIndex: SENDER },
      authenticatedData: new Uint8Array(0),
      ...parseBody(contentType, raw),
    };

    // Our own PublicMessage (refused for application data).
    const pubOptions = {
      signatureKey,
      groupContext: context,
      membershipKey,
      confirmationTag,
    };
    if (contentType === ContentType.application) {
      await assert.rejects(
        protectPublic(cs, content, pubOptions),
        (e) => e instanceof MlsError && e.code === "wrong_content_type",
      );
    } else {
      const pub = await protectPublic(cs, content, pubOptions);
      const back = roundTrip({
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mlsPublicMessage,
        publicMessage: pub,
      });
      assert.equal(back.wireFormat, WireFormat.mlsPublicMessage);
      const ac = await unprotectPublic(cs, back.publicMessage, {
        groupContext: contextBytes,
        membershipKey,
        signaturePublicKey: lookup,
      });
      checkAuthenticated(ac, WireFormat.mlsPublicMessage, raw, `own ${what}`);
    }

    // Our own PrivateMessage: the sender's tree and a receiver's tree.
    const sent = await protectPrivate(cs, content, {
      signatureKey,
      groupContext: context,
      secretTree: tree(),
      senderDataSecret,
      confirmationTag,
    });
    const back = roundTrip({
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsPrivateMessage,
      privateMessage: sent,
    });
    assert.equal(back.wireFormat, WireFormat.mlsPrivateMessage);
    const ac = await unprotectPriv(back.privateMessage, tree());
    checkAuthenticated(ac, WireFormat.mlsPrivateMessage, raw, `own ${what}`);
  }
}
