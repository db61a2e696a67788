/**
 * The `external_senders` GroupContext extension payload (RFC 9420 §12.1.8.1).
 *
 * @module
 */

import { type Codec, opaque, struct, vector } from "../codec/codec.ts";
import { type Credential, credentialCodec } from "./credential.ts";

/** `ExternalSender` (§12.1.8.1): a party allowed to send proposals. */
export interface ExternalSender {
  /** `SignaturePublicKey signature_key` */
  signatureKey: Uint8Array;
  /** `Credential credential` */
  credential: Credential;
}

/** `ExternalSender` */
export const externalSenderCodec: Codec<ExternalSender> = struct<
  ExternalSender
>({
  signatureKey: opaque,
  credential: credentialCodec,
});

/** `ExternalSender external_senders<V>`: the whole extension payload. */
export const externalSendersCodec: Codec<ExternalSender[]> = vector(
  externalSenderCodec,
);
