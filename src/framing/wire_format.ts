/**
 * `WireFormat` (RFC 9420 §6, §17.2).
 *
 * @module
 */

import { type Codec, enumeration, uint16 } from "../codec/codec.ts";

/** `WireFormat` (§6): the registered wire formats. */
export const WireFormat = {
  mlsPublicMessage: 1,
  mlsPrivateMessage: 2,
  mlsWelcome: 3,
  mlsGroupInfo: 4,
  mlsKeyPackage: 5,
} as const;
/** A known wire format value. */
export type WireFormat = typeof WireFormat[keyof typeof WireFormat];

/** `WireFormat` as a closed uint16 enum. */
export const wireFormatCodec: Codec<WireFormat> = enumeration(
  uint16,
  Object.values(WireFormat),
);
