/**
 * `AuthenticatedContent` (RFC 9420 §6): framed content with its wire format
 * and authentication data, the unit that signatures, confirmation tags and
 * transcript hashes are computed over.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import type { Reader } from "../codec/reader.ts";
import type { Writer } from "../codec/writer.ts";
import {
  type FramedContent,
  type FramedContentAuthData,
  framedContentAuthDataCodec,
  framedContentCodec,
} from "./framed_content.ts";
import { type WireFormat, wireFormatCodec } from "./wire_format.ts";

/** `AuthenticatedContent` (§6). */
export interface AuthenticatedContent {
  /** `WireFormat wire_format` */
  wireFormat: WireFormat;
  /** `FramedContent content` */
  content: FramedContent;
  /** `FramedContentAuthData auth` */
  auth: FramedContentAuthData;
}

/** `AuthenticatedContent` */
export const authenticatedContentCodec: Codec<AuthenticatedContent> = {
  encode(w: Writer, v: AuthenticatedContent): void {
    wireFormatCodec.encode(w, v.wireFormat);
    framedContentCodec.encode(w, v.content);
    framedContentAuthDataCodec(v.content.contentType).encode(w, v.auth);
  },
  decode(r: Reader, f: string): AuthenticatedContent {
    const wireFormat = wireFormatCodec.decode(r, `${f}.wireFormat`);
    const content = framedContentCodec.decode(r, `${f}.content`);
    const auth = framedContentAuthDataCodec(content.contentType).decode(
      r,
      `${f}.auth`,
    );
    return { wireFormat, content, auth };
  },
};
