/**
 * PublicMessage protection (RFC 9420 §6.2): signing plus, for member
 * senders, the membership tag `MAC(membership_key, AuthenticatedContentTBM)`;
 * and the reverse, which checks the group and epoch, the sender, the
 * membership tag and then the signature.
 *
 * @module
 */

import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import { ProposalType } from "../messages/proposal.ts";
import { constantTimeEqual } from "../util/bytes.ts";
import type { AuthenticatedContent } from "./authenticated_content.ts";
import { ContentType } from "./content_type.ts";
import {
  checkGroupAndEpoch,
  checkOwnGroupAndEpoch,
  type GroupContextInput,
} from "./context_input.ts";
import {
  type FramedContent,
  framedContentAuthDataCodec,
} from "./framed_content.ts";
import type { PublicMessage } from "./public_message.ts";
import { SenderType } from "./sender.ts";
import {
  type ConfirmationTagInput,
  invalidSignature,
  senderSignatureKey,
  type SignatureKeyLookup,
  signInto,
  tbsContext,
  tbsSignatureValidIn,
  tbsWriter,
  writeFramedContentTBS,
} from "./sign.ts";
import { WireFormat } from "./wire_format.ts";

/** What {@link framePublic} needs besides the signed content. */
export interface PublicFrameOptions {
  /**
   * The current GroupContext: required for `member` and
   * `new_member_commit` senders (§6.1).
   */
  groupContext?: GroupContextInput;
  /** The epoch's `membership_key`: required for `member` senders (§6.2). */
  membershipKey?: Uint8Array;
}

/** What {@link protectPublic} needs besides the content. */
export interface PublicProtectOptions extends PublicFrameOptions {
  /** The sender's signature private key. */
  signatureKey: SignaturePrivateKey;
  /** Required for commits: the tag or a function of the signed content. */
  confirmationTag?: ConfirmationTagInput;
}

/** What {@link unprotectPublic} needs besides the message. */
export interface PublicUnprotectOptions {
  /** The GroupContext of the epoch the message is processed in. */
  groupContext: GroupContextInput;
  /** That epoch's `membership_key`. */
  membershipKey: Uint8Array;
  /** The sender's signature public key (§6.1). */
  signaturePublicKey: SignatureKeyLookup;
}

/**
 * Signs `content` and frames it as a PublicMessage (§6.2). Application
 * content is refused with `wrong_content_type` (§6: it MUST be encrypted);
 * a content type the sender type may not send is `invalid_sender` (§6.1).
 */
export async function protectPublic(
  cs: SuiteCrypto,
  content: FramedContent,
  options: PublicProtectOptions,
): Promise<PublicMessage> {
  checkPublicContent(content);
  checkOwnGroupAndEpoch(content.groupId, content.epoch, options.groupContext);
  const w = tbsWriter(1024);
  const signed = await signInto(cs, w, content, {
    wireFormat: WireFormat.mlsPublicMessage,
    signatureKey: options.signatureKey,
    groupContext: options.groupContext,
    confirmationTag: options.confirmationTag,
  });
  return await withMembershipTag(cs, w, signed, options.membershipKey);
}

/**
 * Frames already signed content (see `signFramedContent`, wire format
 * `mls_public_message`) as a PublicMessage, adding the membership tag for a
 * member sender (§6.2).
 */
export async function framePublic(
  cs: SuiteCrypto,
  authenticated: AuthenticatedContent,
  options: PublicFrameOptions,
): Promise<PublicMessage> {
  const { content } = authenticated;
  if (authenticated.wireFormat !== WireFormat.mlsPublicMessage) {
    throw new MlsError("invalid_argument", "content signed for another wire");
  }
  checkPublicContent(content);
  checkOwnGroupAndEpoch(content.groupId, content.epoch, options.groupContext);
  const w = new Writer(1024);
  if (content.sender.senderType === SenderType.member) {
    writeFramedContentTBS(
      w,
      WireFormat.mlsPublicMessage,
      content,
      tbsContext(content, options.groupContext),
    );
  }
  return await withMembershipTag(cs, w, authenticated, options.membershipKey);
}

/**
 * Checks a PublicMessage (§6.2) and returns its AuthenticatedContent: group
 * id and epoch against the context (`wrong_group`, `wrong_epoch`), content
 * type (`wrong_content_type` for application data), sender
 * (`invalid_sender`), membership tag for members (`invalid_membership_tag`,
 * compared in constant time), then the signature (`invalid_signature`). The
 * confirmation tag of a commit is left to the caller (§8.2).
 */
export async function unprotectPublic(
  cs: SuiteCrypto,
  message: PublicMessage,
  options: PublicUnprotectOptions,
): Promise<AuthenticatedContent> {
  const { content, auth, membershipTag } = message;
  const view = checkGroupAndEpoch(
    options.groupContext,
    content.groupId,
    content.epoch,
  );
  checkPublicContent(content);
  const isMember = content.sender.senderType === SenderType.member;
  if (isMember && membershipTag === undefined) {
    throw new MlsError("invalid_membership_tag", "membership tag missing");
  }
  const publicKey = await senderSignatureKey(
    options.signaturePublicKey,
    content,
  );

  // AuthenticatedContentTBM = FramedContentTBS || auth: one buffer for both.
  const w = tbsWriter(1024);
  writeFramedContentTBS(w, WireFormat.mlsPublicMessage, content, view.encoded);
  // The signature check reads the TBS before the auth data is appended.
  const signatureOk = tbsSignatureValidIn(cs, publicKey, w, auth.signature);
  if (isMember) {
    framedContentAuthDataCodec(content.contentType).encode(w, auth);
  }
  // Both checks at once; the membership tag's verdict is reported first.
  const [tag, sigOk] = await Promise.all([
    isMember ? cs.mac(options.membershipKey, w.finish()) : undefined,
    signatureOk,
  ]);
  if (tag !== undefined && !constantTimeEqual(tag, membershipTag!)) {
    throw new MlsError("invalid_membership_tag", "membership tag mismatch");
  }
  if (!sigOk) throw invalidSignature();
  return { wireFormat: WireFormat.mlsPublicMessage, content, auth };
}

/**
 * §6: application data is never a PublicMessage; §6.1: external and
 * new-member senders send only what their sender type allows.
 */
function checkPublicContent(content: FramedContent): void {
  if (content.contentType === ContentType.application) {
    throw new MlsError(
      "wrong_content_type",
      "application data must be sent as a PrivateMessage",
    );
  }
  switch (content.sender.senderType) {
    case SenderType.member:
      return;
    case SenderType.external:
      if (content.contentType === ContentType.proposal) return;
      break;
    case SenderType.newMemberCommit:
      if (content.contentType === ContentType.commit) return;
      break;
    case SenderType.newMemberProposal:
      if (
        content.contentType === ContentType.proposal &&
        content.proposal.proposalType === ProposalType.add
      ) return;
      break;
  }
  throw new MlsError(
    "invalid_sender",
    `sender type ${content.sender.senderType} cannot send this content`,
  );
}

/**
 * The PublicMessage of `signed`; for a member sender, `w` holds the
 * `FramedContentTBS` and the auth data is appended to make the TBM.
 */
async function withMembershipTag(
  cs: SuiteCrypto,
  w: Writer,
  signed: AuthenticatedContent,
  membershipKey: Uint8Array | undefined,
): Promise<PublicMessage> {
  const { content, auth } = signed;
  if (content.sender.senderType !== SenderType.member) {
    return { content, auth };
  }
  if (membershipKey === undefined) {
    throw new MlsError("invalid_argument", "a member needs the membership key");
  }
  framedContentAuthDataCodec(content.contentType).encode(w, auth);
  return {
    content,
    auth,
    membershipTag: await cs.mac(membershipKey, w.finish()),
  };
}
