/**
 * Sender-data encryption (RFC 9420 §6.3.2): `SenderData` sealed with a key
 * and nonce derived from `sender_data_secret` and a sample of the content
 * ciphertext, with `SenderDataAAD` as AAD.
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { decode, encode } from "../codec/codec.ts";
import { senderDataKeyNonce } from "../schedule/sender_data.ts";
import { wipe } from "../util/bytes.ts";
import {
  type SenderData,
  type SenderDataAAD,
  senderDataAADCodec,
  senderDataCodec,
} from "./private_message.ts";

/**
 * Seals `senderData` for a PrivateMessage whose content ciphertext is
 * `ciphertext` (§6.3.2).
 */
export async function encryptSenderData(
  cs: SuiteCrypto,
  senderDataSecret: Uint8Array,
  aad: SenderDataAAD,
  senderData: SenderData,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const { key, nonce } = await senderDataKeyNonce(
    cs,
    senderDataSecret,
    ciphertext,
  );
  try {
    return await cs.aeadSeal(
      key,
      nonce,
      encode(senderDataAADCodec, aad),
      encode(senderDataCodec, senderData),
    );
  } finally {
    wipe(key);
    wipe(nonce);
  }
}

/**
 * Opens the sender data of a PrivateMessage (§6.3.2); a bad tag is
 * `crypto_failure`, a malformed plaintext the codec's error.
 */
export async function decryptSenderData(
  cs: SuiteCrypto,
  senderDataSecret: Uint8Array,
  aad: SenderDataAAD,
  encryptedSenderData: Uint8Array,
  ciphertext: Uint8Array,
): Promise<SenderData> {
  const { key, nonce } = await senderDataKeyNonce(
    cs,
    senderDataSecret,
    ciphertext,
  );
  let plaintext: Uint8Array;
  try {
    plaintext = await cs.aeadOpen(
      key,
      nonce,
      encode(senderDataAADCodec, aad),
      encryptedSenderData,
    );
  } finally {
    wipe(key);
    wipe(nonce);
  }
  return decode(senderDataCodec, plaintext, "SenderData");
}
