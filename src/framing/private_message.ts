/**
 * `PrivateMessage` and the structures around its encryption (RFC 9420 §6.3):
 * `PrivateMessageContent` (the plaintext, with zero padding),
 * `PrivateContentAAD`, `SenderData` and `SenderDataAAD`. Structures only: the
 * sealing and opening live elsewhere.
 *
 * @module
 */

import {
  type Codec,
  constant,
  fixed,
  opaque,
  opaqueView,
  struct,
  uint32,
  uint64,
  variant,
} from "../codec/codec.ts";
import type { Reader } from "../codec/reader.ts";
import type { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import { type ContentType, contentTypeCodec } from "./content_type.ts";
import {
  type FramedContentAuthData,
  framedContentAuthDataCodec,
  type FramedContentBody,
  framedContentBodyArms,
} from "./framed_content.ts";

/** `PrivateMessage` (§6.3). */
export interface PrivateMessage {
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `uint64 epoch` */
  epoch: bigint;
  /** `ContentType content_type` */
  contentType: ContentType;
  /** `opaque authenticated_data<V>` */
  authenticatedData: Uint8Array;
  /** `opaque encrypted_sender_data<V>` */
  encryptedSenderData: Uint8Array;
  /** `opaque ciphertext<V>` */
  ciphertext: Uint8Array;
}

/**
 * `PrivateMessage`; the two ciphertexts are decoded as views of the
 * decoder's input copy (decrypted once, never kept).
 */
export const privateMessageCodec: Codec<PrivateMessage> = struct<
  PrivateMessage
>({
  groupId: opaque,
  epoch: uint64,
  contentType: contentTypeCodec,
  authenticatedData: opaque,
  encryptedSenderData: opaqueView,
  ciphertext: opaqueView,
});

/**
 * `PrivateMessageContent` (§6.3.1): the decrypted content. `contentType`
 * is not on the wire (it comes from the PrivateMessage) but is kept here as
 * the union's discriminant.
 */
export type PrivateMessageContent = FramedContentBody & {
  /** `FramedContentAuthData auth` */
  auth: FramedContentAuthData;
  /** `length_of_padding`: the number of zero octets after `auth` */
  paddingLength: number;
};

/**
 * `PrivateMessageContent` for a message of type `contentType`. Decoding
 * consumes the rest of its input as padding, so use it on a whole plaintext
 * (with `decode`); a non-zero padding octet is `invalid_value` (§6.3.1).
 * Encoding a value of another content type is `wrong_content_type`.
 */
export function privateMessageContentCodec(
  contentType: ContentType,
): Codec<PrivateMessageContent> {
  const auth = framedContentAuthDataCodec(contentType);
  // The selector is the PrivateMessage's content_type, not on the wire here.
  const body = variant<FramedContentBody, "contentType">(
    "contentType",
    constant(contentType),
    framedContentBodyArms,
  );
  return {
    encode(w: Writer, v: PrivateMessageContent): void {
      if (v.contentType !== contentType) {
        throw new MlsError(
          "wrong_content_type",
          `content type ${v.contentType}, expected ${contentType}`,
          "PrivateMessageContent.contentType",
        );
      }
      body.encode(w, v);
      auth.encode(w, v.auth);
      w.bytes(new Uint8Array(v.paddingLength));
    },
    decode(r: Reader, f: string): PrivateMessageContent {
      const content = body.decode(r, f);
      const authData = auth.decode(r, `${f}.auth`);
      const paddingLength = r.remaining;
      const padding = r.bytes(paddingLength, `${f}.padding`);
      for (let i = 0; i < padding.length; i++) {
        if (padding[i] !== 0) {
          throw new MlsError(
            "invalid_value",
            "non-zero padding",
            `${f}.padding`,
          );
        }
      }
      return { ...content, auth: authData, paddingLength };
    },
  };
}

/** `PrivateContentAAD` (§6.3.1): the AAD of the content encryption. */
export interface PrivateContentAAD {
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `uint64 epoch` */
  epoch: bigint;
  /** `ContentType content_type` */
  contentType: ContentType;
  /** `opaque authenticated_data<V>` */
  authenticatedData: Uint8Array;
}

/** `PrivateContentAAD` */
export const privateContentAADCodec: Codec<PrivateContentAAD> = struct<
  PrivateContentAAD
>({
  groupId: opaque,
  epoch: uint64,
  contentType: contentTypeCodec,
  authenticatedData: opaque,
});

/** `SenderData` (§6.3.2): who sent a PrivateMessage, with which key. */
export interface SenderData {
  /** `uint32 leaf_index` */
  leafIndex: number;
  /** `uint32 generation` */
  generation: number;
  /** `opaque reuse_guard[4]` */
  reuseGuard: Uint8Array;
}

/** `SenderData` */
export const senderDataCodec: Codec<SenderData> = struct<SenderData>({
  leafIndex: uint32,
  generation: uint32,
  reuseGuard: fixed(4),
});

/** `SenderDataAAD` (§6.3.2): the AAD of the sender data encryption. */
export interface SenderDataAAD {
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `uint64 epoch` */
  epoch: bigint;
  /** `ContentType content_type` */
  contentType: ContentType;
}

/** `SenderDataAAD` */
export const senderDataAADCodec: Codec<SenderDataAAD> = struct<SenderDataAAD>({
  groupId: opaque,
  epoch: uint64,
  contentType: contentTypeCodec,
});
