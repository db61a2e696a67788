/**
 * `ProtocolVersion` (RFC 9420 §6) and the open `CipherSuite` value (§17.1).
 *
 * Enumerations in webmls are `as const` objects plus a same-named type of
 * their values; closed enums decode with {@link enumeration}, so an unknown
 * value is `MlsError("unknown_enum")`.
 *
 * @module
 */

import { type Codec, enumeration, uint16 } from "../codec/codec.ts";

/** `ProtocolVersion` (§6): only `mls10` is defined. */
export const ProtocolVersion = { mls10: 1 } as const;
/** A known protocol version value. */
export type ProtocolVersion =
  typeof ProtocolVersion[keyof typeof ProtocolVersion];

/** `ProtocolVersion` as a closed uint16 enum: anything but mls10 is rejected. */
export const protocolVersionCodec: Codec<ProtocolVersion> = enumeration(
  uint16,
  [ProtocolVersion.mls10],
);

/**
 * `CipherSuite` (§17.1): an open uint16, since the registry can grow; the
 * crypto layer decides whether a value is supported.
 */
export type CipherSuite = number;

/** `CipherSuite`: a plain uint16. */
export const cipherSuiteCodec: Codec<CipherSuite> = uint16;
