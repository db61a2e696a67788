/**
 * Turning content into this group's wire messages and back: the glue
 * between the group state and the §6 framing functions.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import type { AuthenticatedContent } from "../framing/authenticated_content.ts";
import type {
  FramedContent,
  FramedContentBody,
} from "../framing/framed_content.ts";
import { type MLSMessage, mlsMessageCodec } from "../framing/mls_message.ts";
import { encryptPrivate } from "../framing/private_protect.ts";
import { framePublic } from "../framing/public_protect.ts";
import { SenderType } from "../framing/sender.ts";
import { WireFormat } from "../framing/wire_format.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import type { GroupState } from "./state.ts";

/** A FramedContent from this member for the current epoch. */
export function ownContent(
  state: GroupState,
  body: FramedContentBody,
  authenticatedData: Uint8Array = new Uint8Array(0),
): FramedContent {
  return {
    groupId: state.context.groupId,
    epoch: state.context.epoch,
    sender: {
      senderType: SenderType.member,
      leafIndex: state.privateTree.leafIndex,
    },
    authenticatedData,
    ...body,
  };
}

/** The wire format this member uses for handshake messages. */
export function handshakeWireFormat(
  state: GroupState,
): typeof WireFormat.mlsPublicMessage | typeof WireFormat.mlsPrivateMessage {
  return state.config.handshakeWireFormat === "public"
    ? WireFormat.mlsPublicMessage
    : WireFormat.mlsPrivateMessage;
}

/**
 * Frames signed content with the current epoch's keys: a PublicMessage with
 * membership tag, or a PrivateMessage from the next ratchet key.
 */
export async function frame(
  state: GroupState,
  signed: AuthenticatedContent,
): Promise<MLSMessage> {
  if (signed.wireFormat === WireFormat.mlsPublicMessage) {
    const publicMessage = await framePublic(state.cs, signed, {
      groupContext: state.context,
      membershipKey: state.keys.membershipKey,
    });
    return {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsPublicMessage,
      publicMessage,
    };
  }
  if (signed.wireFormat === WireFormat.mlsPrivateMessage) {
    const privateMessage = await encryptPrivate(state.cs, signed, {
      secretTree: state.secretTree,
      senderDataSecret: state.keys.senderDataSecret,
      padding: state.config.padding,
    });
    return {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsPrivateMessage,
      privateMessage,
    };
  }
  throw new MlsError("invalid_argument", "not a framed wire format");
}

/** The TLS encoding of an MLSMessage. */
export function encodeMessage(msg: MLSMessage): Uint8Array {
  return encode(mlsMessageCodec, msg);
}

/** Re-exported from its home, `validation/status.ts` (§12.4.2). */
export { requireActive } from "./validation/status.ts";
