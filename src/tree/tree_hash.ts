/**
 * Tree hashes (RFC 9420 §7.8): the `TreeHashInput` encodings and a full,
 * cache-free recomputation over a node array. {@link RatchetTree} keeps a
 * per-node cache built from the same encodings.
 *
 * @module
 */

import { Writer } from "../codec/writer.ts";
import { type LeafNode, leafNodeCodec } from "../messages/leaf_node.ts";
import {
  type Node,
  NodeType,
  type ParentNode,
  parentNodeCodec,
} from "../messages/ratchet_tree.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { left, level, nodeToLeaf, right } from "./tree_math.ts";
import { mapLimited } from "../util/map_limited.ts";

/**
 * `TreeHashInput` for a leaf: `node_type = leaf`, then
 * `LeafNodeHashInput { uint32 leaf_index; optional<LeafNode> leaf_node; }`.
 *
 * @param leafIndex the leaf's index
 * @param leaf the leaf node, `undefined` when blank
 * @returns the encoded input
 */
export function leafHashInput(
  leafIndex: number,
  leaf: LeafNode | undefined,
): Uint8Array {
  const w = new Writer(leaf ? 512 : 8);
  w.u8(NodeType.leaf);
  w.u32(leafIndex);
  if (leaf === undefined) w.u8(0);
  else {
    w.u8(1);
    leafNodeCodec.encode(w, leaf);
  }
  return w.finish();
}

/**
 * `TreeHashInput` for a parent: `node_type = parent`, then
 * `ParentNodeHashInput { optional<ParentNode>; left_hash<V>; right_hash<V> }`.
 *
 * @param parent the parent node, `undefined` when blank
 * @param leftHash tree hash of the left child
 * @param rightHash tree hash of the right child
 * @returns the encoded input
 */
export function parentHashInput(
  parent: ParentNode | undefined,
  leftHash: Uint8Array,
  rightHash: Uint8Array,
): Uint8Array {
  const w = new Writer(160 + (parent?.unmergedLeaves.length ?? 0) * 4);
  w.u8(NodeType.parent);
  if (parent === undefined) w.u8(0);
  else {
    w.u8(1);
    parentNodeCodec.encode(w, parent);
  }
  w.opaque(leftHash);
  w.opaque(rightHash);
  return w.finish();
}

/**
 * The tree hash of node `x` given its content and, for a parent, its
 * children's tree hashes.
 *
 * @param cs the suite's crypto
 * @param x node index
 * @param node the node, `undefined` when blank
 * @param leftHash left child's tree hash (parents only)
 * @param rightHash right child's tree hash (parents only)
 * @returns `Hash(TreeHashInput)`
 */
export function nodeTreeHash(
  cs: SuiteCrypto,
  x: number,
  node: Node | undefined,
  leftHash?: Uint8Array,
  rightHash?: Uint8Array,
): Promise<Uint8Array> {
  if ((x & 1) === 0) {
    const leaf = node?.nodeType === NodeType.leaf ? node.leafNode : undefined;
    return cs.hash(leafHashInput(nodeToLeaf(x), leaf));
  }
  const parent = node?.nodeType === NodeType.parent
    ? node.parentNode
    : undefined;
  return cs.hash(parentHashInput(parent, leftHash!, rightHash!));
}

/**
 * Recomputes the tree hash of every node from scratch, level by level with
 * each level's hashes computed concurrently. For validation and tests; the
 * cached {@link RatchetTree.treeHash} is the fast path.
 *
 * @param cs the suite's crypto
 * @param nodes a full-width node array (length `2^(d+1) - 1`)
 * @returns the tree hash of each node, by node index
 */
export async function computeTreeHashes(
  cs: SuiteCrypto,
  nodes: readonly (Node | undefined)[],
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = new Array(nodes.length);
  for (let k = 0; (1 << k) - 1 < nodes.length; k++) {
    const xs: number[] = [];
    for (let x = (1 << k) - 1; x < nodes.length; x += 1 << (k + 1)) {
      xs.push(x);
    }
    const hs = await mapLimited(
      xs,
      (x) =>
        level(x) === 0
          ? nodeTreeHash(cs, x, nodes[x])
          : nodeTreeHash(cs, x, nodes[x], out[left(x)], out[right(x)]),
    );
    xs.forEach((x, i) => out[x] = hs[i]);
  }
  return out;
}
