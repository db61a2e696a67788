/**
 * The plaintext of a PrivateMessage (RFC 9420 §6.3.1): the content, its
 * auth data, and all-zero padding chosen by a {@link PaddingPolicy}.
 *
 * @module
 */

import { type Codec, constant, variant } from "../codec/codec.ts";
import { Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import type { ContentType } from "./content_type.ts";
import {
  type FramedContentAuthData,
  framedContentAuthDataCodec,
  type FramedContentBody,
  framedContentBodyArms,
} from "./framed_content.ts";

/**
 * How much zero padding to add to a PrivateMessage plaintext (§6.3.1,
 * §15.1): a fixed number of octets, or enough to make the plaintext length
 * a multiple of `blockSize` (hiding the exact content length).
 */
export type PaddingPolicy = { length: number } | { blockSize: number };

/** A decoded PrivateMessageContent. */
export interface DecodedPrivateContent {
  /** The content type and the content it selects. */
  body: FramedContentBody;
  /** `FramedContentAuthData auth` */
  auth: FramedContentAuthData;
  /** Number of (zero) padding octets that followed. */
  paddingLength: number;
}

const bodyCodecs = new Map<ContentType, Codec<FramedContentBody>>();

/** The `select (PrivateMessage.content_type)`: no tag on the wire. */
function bodyCodec(contentType: ContentType): Codec<FramedContentBody> {
  let c = bodyCodecs.get(contentType);
  if (c === undefined) {
    c = variant<FramedContentBody, "contentType">(
      "contentType",
      constant(contentType),
      framedContentBodyArms,
    );
    bodyCodecs.set(contentType, c);
  }
  return c;
}

/** The number of padding octets `policy` adds to `length` octets. */
export function paddingFor(
  policy: PaddingPolicy | undefined,
  length: number,
): number {
  if (policy === undefined) return 0;
  if ("length" in policy) {
    if (!Number.isSafeInteger(policy.length) || policy.length < 0) {
      throw new MlsError("invalid_argument", "bad padding length");
    }
    return policy.length;
  }
  const b = policy.blockSize;
  if (!Number.isSafeInteger(b) || b < 1) {
    throw new MlsError("invalid_argument", "bad padding block size");
  }
  return (b - length % b) % b;
}

/**
 * Encodes `PrivateMessageContent` (§6.3.1): `body`, `auth`, then the
 * zero padding `policy` asks for.
 */
export function encodePrivateContent(
  body: FramedContentBody,
  auth: FramedContentAuthData,
  policy: PaddingPolicy | undefined,
): Uint8Array {
  const w = new Writer(512);
  bodyCodec(body.contentType).encode(w, body);
  framedContentAuthDataCodec(body.contentType).encode(w, auth);
  const pad = paddingFor(policy, w.length);
  if (pad > 0) w.bytes(new Uint8Array(pad));
  return w.finish();
}

/**
 * Decodes `PrivateMessageContent` of type `contentType` (§6.3.1): the
 * content and auth, then the rest is padding, which must be all zero
 * (`invalid_padding` otherwise).
 */
export function decodePrivateContent(
  contentType: ContentType,
  plaintext: Uint8Array,
): DecodedPrivateContent {
  const f = "PrivateMessageContent";
  const r = new Reader(plaintext);
  const body = bodyCodec(contentType).decode(r, f);
  const auth = framedContentAuthDataCodec(contentType).decode(r, `${f}.auth`);
  const paddingLength = r.remaining;
  const padding = r.bytes(paddingLength, `${f}.padding`);
  let acc = 0;
  for (let i = 0; i < padding.length; i++) acc |= padding[i];
  if (acc !== 0) {
    throw new MlsError("invalid_padding", "non-zero padding", `${f}.padding`);
  }
  return { body, auth, paddingLength };
}
