/**
 * `PublicMessage` and `AuthenticatedContentTBM` (RFC 9420 §6.2): signed,
 * unencrypted framing. The membership tag is on the wire only when the
 * sender is a member.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import { opaque } from "../codec/codec.ts";
import type { Reader } from "../codec/reader.ts";
import type { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import {
  type FramedContent,
  type FramedContentAuthData,
  framedContentAuthDataCodec,
  framedContentCodec,
  type FramedContentTBS,
  framedContentTBSCodec,
} from "./framed_content.ts";
import { SenderType } from "./sender.ts";

/** `PublicMessage` (§6.2). */
export interface PublicMessage {
  /** `FramedContent content` */
  content: FramedContent;
  /** `FramedContentAuthData auth` */
  auth: FramedContentAuthData;
  /**
   * `MAC membership_tag`: present exactly when the sender is a `member`
   * (§6.2)
   */
  membershipTag?: Uint8Array;
}

/** `PublicMessage`; a member's message without a tag is `invalid_value`. */
export const publicMessageCodec: Codec<PublicMessage> = {
  encode(w: Writer, v: PublicMessage): void {
    framedContentCodec.encode(w, v.content);
    framedContentAuthDataCodec(v.content.contentType).encode(w, v.auth);
    if (v.content.sender.senderType !== SenderType.member) return;
    if (v.membershipTag === undefined) {
      throw new MlsError(
        "invalid_value",
        "a member's PublicMessage needs a membership tag",
        "PublicMessage.membershipTag",
      );
    }
    opaque.encode(w, v.membershipTag);
  },
  decode(r: Reader, f: string): PublicMessage {
    const content = framedContentCodec.decode(r, `${f}.content`);
    const auth = framedContentAuthDataCodec(content.contentType).decode(
      r,
      `${f}.auth`,
    );
    if (content.sender.senderType !== SenderType.member) {
      return { content, auth };
    }
    return {
      content,
      auth,
      membershipTag: opaque.decode(r, `${f}.membershipTag`),
    };
  },
};

/**
 * `AuthenticatedContentTBM` (§6.2): what a membership tag is computed over.
 */
export interface AuthenticatedContentTBM {
  /** `FramedContentTBS content_tbs` */
  contentTbs: FramedContentTBS;
  /** `FramedContentAuthData auth` */
  auth: FramedContentAuthData;
}

/** `AuthenticatedContentTBM` */
export const authenticatedContentTBMCodec: Codec<AuthenticatedContentTBM> = {
  encode(w: Writer, v: AuthenticatedContentTBM): void {
    framedContentTBSCodec.encode(w, v.contentTbs);
    framedContentAuthDataCodec(v.contentTbs.content.contentType).encode(
      w,
      v.auth,
    );
  },
  decode(r: Reader, f: string): AuthenticatedContentTBM {
    const contentTbs = framedContentTBSCodec.decode(r, `${f}.contentTbs`);
    const auth = framedContentAuthDataCodec(contentTbs.content.contentType)
      .decode(r, `${f}.auth`);
    return { contentTbs, auth };
  },
};
