/**
 * `Lifetime` (RFC 9420 §7.2): the validity window of a KeyPackage's leaf, in
 * seconds since the Unix epoch.
 *
 * @module
 */

import { type Codec, struct, uint64 } from "../codec/codec.ts";

/** `Lifetime` (§7.2). */
export interface Lifetime {
  /** `uint64 not_before`, seconds since the epoch */
  notBefore: bigint;
  /** `uint64 not_after`, seconds since the epoch */
  notAfter: bigint;
}

/** `Lifetime` */
export const lifetimeCodec: Codec<Lifetime> = struct<Lifetime>({
  notBefore: uint64,
  notAfter: uint64,
});
