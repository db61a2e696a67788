/**
 * Content authentication (RFC 9420 §6.1): signing a FramedContent into an
 * AuthenticatedContent with `SignWithLabel(., "FramedContentTBS", .)`, and
 * verifying that signature.
 *
 * @module
 */

import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { Writer } from "../codec/writer.ts";
import {
  LABEL_HEADROOM,
  signWithLabelIn,
  verifyWithLabel,
  verifyWithLabelIn,
} from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import type { AuthenticatedContent } from "./authenticated_content.ts";
import { ContentType } from "./content_type.ts";
import { type GroupContextInput, groupContextView } from "./context_input.ts";
import {
  type FramedContent,
  framedContentCodec,
  senderHasGroupContext,
} from "./framed_content.ts";
import type { Sender } from "./sender.ts";
import type { WireFormat } from "./wire_format.ts";

const TBS_LABEL = "FramedContentTBS";

/**
 * Finds the signature public key of a message's sender (§6.1): the leaf's
 * key for `member`, the `external_senders` entry for `external`, the
 * LeafNode in the commit's path for `new_member_commit`, the KeyPackage's
 * for `new_member_proposal`. Returning `undefined` (unknown sender, blank
 * leaf) rejects the message with `invalid_sender`.
 */
export type SignatureKeyLookup = (
  sender: Sender,
  content: FramedContent,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/**
 * A commit's confirmation tag (§6.1, §8.2), or a function computing it from
 * the signed content: the tag covers the confirmed transcript hash, which
 * covers the signature, so it can only be computed once the content is
 * signed.
 */
export type ConfirmationTagInput =
  | Uint8Array
  | ((signed: AuthenticatedContent) => Uint8Array | Promise<Uint8Array>);

/** What {@link signFramedContent} needs besides the content. */
export interface SignOptions {
  /** The wire format the content will be sent in (it is signed over). */
  wireFormat: WireFormat;
  /** The sender's signature private key. */
  signatureKey: SignaturePrivateKey;
  /**
   * The current GroupContext: required when the sender is `member` or
   * `new_member_commit` (§6.1), ignored otherwise.
   */
  groupContext?: GroupContextInput;
  /** Required for commits, ignored for other content. */
  confirmationTag?: ConfirmationTagInput;
}

/**
 * Appends `FramedContentTBS` (§6.1) to `w`. `context` is the encoded
 * GroupContext, required exactly when the sender type signs over it.
 */
export function writeFramedContentTBS(
  w: Writer,
  wireFormat: WireFormat,
  content: FramedContent,
  context: Uint8Array | undefined,
): void {
  w.u16(ProtocolVersion.mls10);
  w.u16(wireFormat);
  framedContentCodec.encode(w, content);
  if (!senderHasGroupContext(content.sender)) return;
  if (context === undefined) {
    throw new MlsError(
      "invalid_argument",
      "this sender type signs over the GroupContext, which is missing",
    );
  }
  w.bytes(context);
}

/**
 * The encoded GroupContext a content's TBS needs (§6.1), or `undefined`
 * when its sender type does not sign over one.
 */
export function tbsContext(
  content: FramedContent,
  groupContext: GroupContextInput | undefined,
): Uint8Array | undefined {
  if (!senderHasGroupContext(content.sender) || groupContext === undefined) {
    return undefined;
  }
  return groupContext instanceof Uint8Array
    ? groupContext
    : groupContextView(groupContext).encoded;
}

/** `VerifyWithLabel(key, "FramedContentTBS", tbs, signature)`. */
export function tbsSignatureValid(
  cs: SuiteCrypto,
  publicKey: Uint8Array,
  tbs: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return verifyWithLabel(cs, publicKey, TBS_LABEL, tbs, signature);
}

/**
 * {@link tbsSignatureValid} over the output of `w` (the TBS alone), without
 * copying it when `w` was made by {@link tbsWriter}.
 */
export function tbsSignatureValidIn(
  cs: SuiteCrypto,
  publicKey: Uint8Array,
  w: Writer,
  signature: Uint8Array,
): Promise<boolean> {
  return verifyWithLabelIn(cs, publicKey, TBS_LABEL, w, signature);
}

/**
 * A Writer for a FramedContentTBS, with headroom for the `SignContent`
 * header so that signing and verifying need no copy of a large content.
 */
export function tbsWriter(capacity = 512): Writer {
  return new Writer(capacity, LABEL_HEADROOM);
}

/** The error of a signature that does not verify. */
export function invalidSignature(): MlsError {
  return new MlsError("invalid_signature", "FramedContent signature");
}

/**
 * Signs `content` (§6.1) and, for a commit, attaches the confirmation tag:
 * the AuthenticatedContent ready to be framed as a PublicMessage or
 * PrivateMessage of `options.wireFormat`.
 */
export function signFramedContent(
  cs: SuiteCrypto,
  content: FramedContent,
  options: SignOptions,
): Promise<AuthenticatedContent> {
  return signInto(cs, tbsWriter(), content, options);
}

/**
 * {@link signFramedContent}, writing the `FramedContentTBS` into `w` (which
 * must be empty): a caller that goes on to compute a membership tag appends
 * the auth data to the same buffer (§6.2).
 */
export async function signInto(
  cs: SuiteCrypto,
  w: Writer,
  content: FramedContent,
  options: SignOptions,
): Promise<AuthenticatedContent> {
  writeFramedContentTBS(
    w,
    options.wireFormat,
    content,
    tbsContext(content, options.groupContext),
  );
  const signature = await signWithLabelIn(
    cs,
    options.signatureKey,
    TBS_LABEL,
    w,
  );
  const signed: AuthenticatedContent = {
    wireFormat: options.wireFormat,
    content,
    auth: { signature },
  };
  if (content.contentType === ContentType.commit) {
    signed.auth.confirmationTag = await confirmationTagFor(
      signed,
      options.confirmationTag,
    );
  }
  return signed;
}

/**
 * Verifies the signature of an AuthenticatedContent (§6.1) with the
 * sender's `publicKey`; throws `invalid_signature` when it does not verify.
 * `groupContext` is required for `member` and `new_member_commit` senders.
 */
export async function verifyFramedContent(
  cs: SuiteCrypto,
  authenticated: AuthenticatedContent,
  publicKey: Uint8Array,
  groupContext?: GroupContextInput,
): Promise<void> {
  const { wireFormat, content, auth } = authenticated;
  const w = tbsWriter();
  writeFramedContentTBS(
    w,
    wireFormat,
    content,
    tbsContext(content, groupContext),
  );
  if (!await tbsSignatureValidIn(cs, publicKey, w, auth.signature)) {
    throw invalidSignature();
  }
}

/**
 * The sender's signature public key from `lookup`; `invalid_sender` when
 * the lookup knows no such sender.
 */
export async function senderSignatureKey(
  lookup: SignatureKeyLookup,
  content: FramedContent,
): Promise<Uint8Array> {
  const key = await lookup(content.sender, content);
  if (key === undefined) {
    throw new MlsError("invalid_sender", "no signature key for this sender");
  }
  return key;
}

async function confirmationTagFor(
  signed: AuthenticatedContent,
  tag: ConfirmationTagInput | undefined,
): Promise<Uint8Array> {
  if (tag === undefined) {
    throw new MlsError("invalid_argument", "a commit needs a confirmation tag");
  }
  return tag instanceof Uint8Array ? tag : await tag(signed);
}
