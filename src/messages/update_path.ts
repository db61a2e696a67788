/**
 * `UpdatePath`, `UpdatePathNode` and `HPKECiphertext` (RFC 9420 §7.6).
 *
 * @module
 */

import {
  type Codec,
  opaque,
  opaqueView,
  struct,
  vector,
} from "../codec/codec.ts";
import { type LeafNode, leafNodeCodec } from "./leaf_node.ts";

/** `HPKECiphertext` (§7.6): an HPKE base-mode encryption. */
export interface HPKECiphertext {
  /** `opaque kem_output<V>` */
  kemOutput: Uint8Array;
  /** `opaque ciphertext<V>` */
  ciphertext: Uint8Array;
}

/**
 * `HPKECiphertext`; decoded fields are views of the decoder's input copy
 * (ciphertexts are read once, never kept).
 */
export const hpkeCiphertextCodec: Codec<HPKECiphertext> = struct<
  HPKECiphertext
>({
  kemOutput: opaqueView,
  ciphertext: opaqueView,
});

/** `UpdatePathNode` (§7.6): one filtered direct-path node's new key. */
export interface UpdatePathNode {
  /** `HPKEPublicKey encryption_key` */
  encryptionKey: Uint8Array;
  /** `HPKECiphertext encrypted_path_secret<V>`: one per resolution node */
  encryptedPathSecret: HPKECiphertext[];
}

/** `UpdatePathNode` */
export const updatePathNodeCodec: Codec<UpdatePathNode> = struct<
  UpdatePathNode
>({
  encryptionKey: opaque,
  encryptedPathSecret: vector(hpkeCiphertextCodec),
});

/** `UpdatePath` (§7.6). */
export interface UpdatePath {
  /** `LeafNode leaf_node` (source `commit`) */
  leafNode: LeafNode;
  /** `UpdatePathNode nodes<V>` */
  nodes: UpdatePathNode[];
}

/** `UpdatePath` */
export const updatePathCodec: Codec<UpdatePath> = struct<UpdatePath>({
  leafNode: leafNodeCodec,
  nodes: vector(updatePathNodeCodec),
});
