/**
 * The `external_pub` GroupInfo extension payload (RFC 9420 §12.4.3.2).
 *
 * @module
 */

import { type Codec, opaque, struct } from "../codec/codec.ts";

/** `ExternalPub` (§12.4.3.2): the key external joiners encrypt to. */
export interface ExternalPub {
  /** `HPKEPublicKey external_pub` */
  externalPub: Uint8Array;
}

/** `ExternalPub` */
export const externalPubCodec: Codec<ExternalPub> = struct<ExternalPub>({
  externalPub: opaque,
});
