/**
 * Signing and verifying a LeafNode (RFC 9420 §7.2): `SignWithLabel(.,
 * "LeafNodeTBS", LeafNodeTBS)`, where the TBS carries the group id and leaf
 * index for the `update` and `commit` sources.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { signWithLabel, verifyWithLabel } from "../crypto/labeled.ts";
import {
  type LeafNode,
  type LeafNodeContent,
  LeafNodeSource,
  leafNodeTBSCodec,
} from "../messages/leaf_node.ts";
import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import type { LeafIndex } from "./tree_math.ts";

/** Where a leaf node is signed for: needed for update and commit leaves. */
export interface LeafContext {
  /** The group's id. */
  groupId: Uint8Array;
  /** The leaf's index in the tree. */
  leafIndex: LeafIndex;
}

function tbs(leaf: LeafNodeContent, ctx?: LeafContext): Uint8Array {
  return encode(
    leafNodeTBSCodec,
    leaf.leafNodeSource === LeafNodeSource.keyPackage || !ctx
      ? leaf
      : { ...leaf, groupId: ctx.groupId, leafIndex: ctx.leafIndex },
  );
}

/**
 * Signs leaf content into a LeafNode.
 *
 * @param cs the suite's crypto
 * @param key the member's signature private key
 * @param content the leaf without its signature
 * @param ctx group id and leaf index (required unless the source is
 *   `key_package`)
 * @returns the signed leaf node
 */
export async function signLeafNode(
  cs: SuiteCrypto,
  key: SignaturePrivateKey,
  content: LeafNodeContent,
  ctx?: LeafContext,
): Promise<LeafNode> {
  const signature = await signWithLabel(
    cs,
    key,
    "LeafNodeTBS",
    tbs(content, ctx),
  );
  return { ...content, signature } as LeafNode;
}

/**
 * Verifies a LeafNode's signature with its own `signature_key`.
 *
 * @param cs the suite's crypto
 * @param leaf the leaf node
 * @param ctx group id and leaf index (required unless the source is
 *   `key_package`)
 * @returns whether the signature is valid
 */
export function verifyLeafNodeSignature(
  cs: SuiteCrypto,
  leaf: LeafNode,
  ctx?: LeafContext,
): Promise<boolean> {
  let input: Uint8Array;
  try {
    input = tbs(leaf, ctx);
  } catch {
    return Promise.resolve(false);
  }
  return verifyWithLabel(
    cs,
    leaf.signatureKey,
    "LeafNodeTBS",
    input,
    leaf.signature,
  );
}
