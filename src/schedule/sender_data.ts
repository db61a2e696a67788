/**
 * Sender-data key and nonce (RFC 9420 §6.3.2): derived from the epoch's
 * `sender_data_secret` and a sample of the content ciphertext.
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { expandWithLabel } from "../crypto/labeled.ts";
import type { RatchetKeyNonce } from "./secret_tree.ts";

/**
 * `sender_data_key` and `sender_data_nonce` for a PrivateMessage whose
 * content ciphertext is `ciphertext`. The sample is its first `KDF.Nh`
 * bytes, or all of it when shorter (§6.3.2).
 */
export async function senderDataKeyNonce(
  cs: SuiteCrypto,
  senderDataSecret: Uint8Array,
  ciphertext: Uint8Array,
): Promise<RatchetKeyNonce> {
  const sample = ciphertext.subarray(
    0,
    Math.min(cs.hashLength, ciphertext.length),
  );
  const [key, nonce] = await Promise.all([
    expandWithLabel(cs, senderDataSecret, "key", sample, cs.aeadKeyLength),
    expandWithLabel(cs, senderDataSecret, "nonce", sample, cs.aeadNonceLength),
  ]);
  return { key, nonce };
}
