/**
 * PrivateMessage protection (RFC 9420 §6.3): the signed content is
 * encrypted with the sender's ratchet key from the secret tree (§6.3.1),
 * and the sender data with a key from `sender_data_secret` (§6.3.2).
 * Unprotecting takes the ratchet key with `SecretTree.withKey`, so a message
 * that fails to decrypt, to parse or to verify consumes no key.
 *
 * @module
 */

import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import type {
  RatchetKey,
  RatchetType,
  SecretTree,
} from "../schedule/secret_tree.ts";
import { wipe } from "../util/bytes.ts";
import type { AuthenticatedContent } from "./authenticated_content.ts";
import { ContentType } from "./content_type.ts";
import {
  checkGroupAndEpoch,
  checkOwnGroupAndEpoch,
  type GroupContextInput,
} from "./context_input.ts";
import type { FramedContent } from "./framed_content.ts";
import {
  decodePrivateContent,
  encodePrivateContent,
  type PaddingPolicy,
} from "./private_content.ts";
import {
  privateContentAADCodec,
  type PrivateMessage,
  type SenderDataAAD,
} from "./private_message.ts";
import { decryptSenderData, encryptSenderData } from "./sender_data_protect.ts";
import { SenderType } from "./sender.ts";
import {
  type ConfirmationTagInput,
  invalidSignature,
  senderSignatureKey,
  type SignatureKeyLookup,
  signFramedContent,
  tbsSignatureValidIn,
  tbsWriter,
  writeFramedContentTBS,
} from "./sign.ts";
import { WireFormat } from "./wire_format.ts";

/** What {@link encryptPrivate} needs besides the signed content. */
export interface PrivateEncryptOptions {
  /** The epoch's secret tree; the sender's next ratchet key is consumed. */
  secretTree: SecretTree;
  /** The epoch's `sender_data_secret`. */
  senderDataSecret: Uint8Array;
  /** Zero padding to add (§6.3.1); none by default. */
  padding?: PaddingPolicy;
}

/** What {@link protectPrivate} needs besides the content. */
export interface PrivateProtectOptions extends PrivateEncryptOptions {
  /** The sender's signature private key. */
  signatureKey: SignaturePrivateKey;
  /** The current GroupContext (signed over, §6.1). */
  groupContext: GroupContextInput;
  /** Required for commits: the tag or a function of the signed content. */
  confirmationTag?: ConfirmationTagInput;
}

/** What {@link unprotectPrivate} needs besides the message. */
export interface PrivateUnprotectOptions {
  /** The GroupContext of the epoch the message is processed in. */
  groupContext: GroupContextInput;
  /** That epoch's secret tree. */
  secretTree: SecretTree;
  /** That epoch's `sender_data_secret`. */
  senderDataSecret: Uint8Array;
  /** The sender's signature public key (§6.1); the sender is a member. */
  signaturePublicKey: SignatureKeyLookup;
  /**
   * Whether a leaf index holds a member (a non-blank leaf, §6.3.2); indices
   * outside the secret tree are rejected before it is asked.
   */
  isMember: (leafIndex: number) => boolean;
}

/** §6.3.1: application data uses the application ratchet. */
function ratchetType(contentType: ContentType): RatchetType {
  return contentType === ContentType.application ? "application" : "handshake";
}

/**
 * Signs `content` (a member's) and encrypts it as a PrivateMessage (§6.3),
 * consuming the sender's next ratchet generation.
 */
export async function protectPrivate(
  cs: SuiteCrypto,
  content: FramedContent,
  options: PrivateProtectOptions,
): Promise<PrivateMessage> {
  const leaf = memberLeaf(content);
  checkOwnGroupAndEpoch(content.groupId, content.epoch, options.groupContext);
  // Signing and the ratchet step are independent: run them together, the
  // ratchet step (the longer chain of calls) issued first.
  const nextKey = options.secretTree.nextKey(
    leaf,
    ratchetType(content.contentType),
  );
  const [key, signed] = await Promise.allSettled([
    nextKey,
    signFramedContent(cs, content, {
      wireFormat: WireFormat.mlsPrivateMessage,
      signatureKey: options.signatureKey,
      groupContext: options.groupContext,
      confirmationTag: options.confirmationTag,
    }),
  ]);
  if (signed.status === "rejected" || key.status === "rejected") {
    if (key.status === "fulfilled") wipeKey(key.value);
    throw signed.status === "rejected"
      ? signed.reason
      : (key as PromiseRejectedResult).reason;
  }
  return await encryptWith(cs, signed.value, key.value, options);
}

/**
 * Encrypts already signed content (see `signFramedContent`, wire format
 * `mls_private_message`) as a PrivateMessage (§6.3), consuming the sender's
 * next ratchet generation.
 */
export async function encryptPrivate(
  cs: SuiteCrypto,
  authenticated: AuthenticatedContent,
  options: PrivateEncryptOptions,
): Promise<PrivateMessage> {
  if (authenticated.wireFormat !== WireFormat.mlsPrivateMessage) {
    throw new MlsError("invalid_argument", "content signed for another wire");
  }
  const { content } = authenticated;
  const key = await options.secretTree.nextKey(
    memberLeaf(content),
    ratchetType(content.contentType),
  );
  return await encryptWith(cs, authenticated, key, options);
}

/**
 * Decrypts and verifies a PrivateMessage (§6.3) and returns its
 * AuthenticatedContent. Checks, in order: group id and epoch against the
 * context (`wrong_group`, `wrong_epoch`, before any crypto), sender data
 * (`crypto_failure`), the sender is a member (`invalid_sender`), the ratchet
 * generation (`generation_too_old`, `generation_too_far`), the content
 * (`crypto_failure`), its padding (`invalid_padding`), the signature
 * (`invalid_signature`). The ratchet key is consumed only if all of these
 * pass. The confirmation tag of a commit is left to the caller (§8.2).
 */
export async function unprotectPrivate(
  cs: SuiteCrypto,
  message: PrivateMessage,
  options: PrivateUnprotectOptions,
): Promise<AuthenticatedContent> {
  const { groupId, epoch, contentType, authenticatedData, ciphertext } =
    message;
  const view = checkGroupAndEpoch(options.groupContext, groupId, epoch);
  const header: SenderDataAAD = { groupId, epoch, contentType };
  const senderData = await decryptSenderData(
    cs,
    options.senderDataSecret,
    header,
    message.encryptedSenderData,
    ciphertext,
  );
  const leafIndex = senderData.leafIndex;
  const tree = options.secretTree;
  if (leafIndex >= tree.leafCount || !options.isMember(leafIndex)) {
    throw new MlsError("invalid_sender", `leaf ${leafIndex} is not a member`);
  }
  const aad = encode(privateContentAADCodec, {
    groupId,
    epoch,
    contentType,
    authenticatedData,
  });
  const guard = senderData.reuseGuard;

  return await tree.withKey(
    leafIndex,
    ratchetType(contentType),
    senderData.generation,
    async (key, ratchetNonce) => {
      // The lent nonce must stay intact if this fails: XOR into a copy.
      const nonce = ratchetNonce.slice();
      for (let i = 0; i < 4; i++) nonce[i] ^= guard[i];
      let plaintext: Uint8Array;
      try {
        plaintext = await cs.aeadOpen(key, nonce, aad, ciphertext);
      } finally {
        wipe(nonce);
      }
      const { body, auth } = decodePrivateContent(contentType, plaintext);
      const content: FramedContent = {
        groupId,
        epoch,
        sender: { senderType: SenderType.member, leafIndex },
        authenticatedData,
        ...body,
      };
      // Verified before the key is consumed: a member forging another
      // member's message (all know the secret tree) burns no key.
      const publicKey = await senderSignatureKey(
        options.signaturePublicKey,
        content,
      );
      const w = tbsWriter(plaintext.length + 256);
      writeFramedContentTBS(
        w,
        WireFormat.mlsPrivateMessage,
        content,
        view.encoded,
      );
      if (!await tbsSignatureValidIn(cs, publicKey, w, auth.signature)) {
        throw invalidSignature();
      }
      return { wireFormat: WireFormat.mlsPrivateMessage, content, auth };
    },
  );
}

/** Encrypts `signed` with the ratchet key `key`, which it wipes. */
async function encryptWith(
  cs: SuiteCrypto,
  signed: AuthenticatedContent,
  key: RatchetKey,
  options: PrivateEncryptOptions,
): Promise<PrivateMessage> {
  const { content, auth } = signed;
  const { groupId, epoch, contentType, authenticatedData } = content;
  let ciphertext: Uint8Array;
  const reuseGuard = cs.randomBytes(4);
  try {
    const plaintext = encodePrivateContent(content, auth, options.padding);
    const aad = encode(privateContentAADCodec, {
      groupId,
      epoch,
      contentType,
      authenticatedData,
    });
    // §6.3.1: the reuse guard is XORed into the first four nonce octets.
    for (let i = 0; i < 4; i++) key.nonce[i] ^= reuseGuard[i];
    ciphertext = await cs.aeadSeal(key.key, key.nonce, aad, plaintext);
    wipe(plaintext);
  } finally {
    wipeKey(key);
  }
  const encryptedSenderData = await encryptSenderData(
    cs,
    options.senderDataSecret,
    { groupId, epoch, contentType },
    { leafIndex: memberLeaf(content), generation: key.generation, reuseGuard },
    ciphertext,
  );
  return {
    groupId,
    epoch,
    contentType,
    authenticatedData,
    encryptedSenderData,
    ciphertext,
  };
}

/** §6.3.2: only members send PrivateMessages. */
function memberLeaf(content: FramedContent): number {
  if (content.sender.senderType !== SenderType.member) {
    throw new MlsError(
      "invalid_argument",
      "only members send PrivateMessages",
    );
  }
  return content.sender.leafIndex;
}

function wipeKey(key: RatchetKey): void {
  wipe(key.key);
  wipe(key.nonce);
}
