/**
 * `ContentType` (RFC 9420 §6).
 *
 * @module
 */

import { type Codec, enumeration, uint8 } from "../codec/codec.ts";

/** `ContentType` (§6). */
export const ContentType = { application: 1, proposal: 2, commit: 3 } as const;
/** A known content type value. */
export type ContentType = typeof ContentType[keyof typeof ContentType];

/** `ContentType` as a closed uint8 enum. */
export const contentTypeCodec: Codec<ContentType> = enumeration(
  uint8,
  Object.values(ContentType),
);
