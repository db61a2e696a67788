/**
 * Ratchet tree nodes and the `ratchet_tree` extension payload (RFC 9420
 * §7.1, §12.4.3.3).
 *
 * @module
 */

import {
  type Codec,
  enumeration,
  opaque,
  optional,
  struct,
  uint32,
  uint8,
  variant,
  vector,
} from "../codec/codec.ts";
import { type LeafNode, leafNodeCodec } from "./leaf_node.ts";

/** `NodeType` (§7.8). */
export const NodeType = { leaf: 1, parent: 2 } as const;
/** A known node type value. */
export type NodeType = typeof NodeType[keyof typeof NodeType];

/** `NodeType` as a closed uint8 enum. */
export const nodeTypeCodec: Codec<NodeType> = enumeration(
  uint8,
  Object.values(NodeType),
);

/** `ParentNode` (§7.1). */
export interface ParentNode {
  /** `HPKEPublicKey encryption_key` */
  encryptionKey: Uint8Array;
  /** `opaque parent_hash<V>` (§7.9) */
  parentHash: Uint8Array;
  /** `uint32 unmerged_leaves<V>`: leaf indices */
  unmergedLeaves: number[];
}

/** `ParentNode` */
export const parentNodeCodec: Codec<ParentNode> = struct<ParentNode>({
  encryptionKey: opaque,
  parentHash: opaque,
  unmergedLeaves: vector(uint32),
});

/** A `Node` holding a leaf. */
export interface LeafNodeNode {
  /** `leaf` */
  nodeType: typeof NodeType.leaf;
  /** `LeafNode leaf_node` */
  leafNode: LeafNode;
}

/** A `Node` holding a parent. */
export interface ParentNodeNode {
  /** `parent` */
  nodeType: typeof NodeType.parent;
  /** `ParentNode parent_node` */
  parentNode: ParentNode;
}

/** `Node` (§12.4.3.3): a union on `nodeType`. */
export type Node = LeafNodeNode | ParentNodeNode;

/** `Node`; an unknown node type is `unknown_enum`. */
export const nodeCodec: Codec<Node> = variant<Node, "nodeType">(
  "nodeType",
  uint8,
  {
    [NodeType.leaf]: struct({ leafNode: leafNodeCodec }),
    [NodeType.parent]: struct({ parentNode: parentNodeCodec }),
  },
);

/**
 * `optional<Node> ratchet_tree<V>` (§12.4.3.3): the tree in array order
 * (Appendix C), `undefined` for blank nodes. Whether the shape is valid
 * (odd length, leaves at even indices, last node non-blank) is for the tree
 * layer to check.
 */
export type RatchetTree = (Node | undefined)[];

/** `optional<Node> ratchet_tree<V>` */
export const ratchetTreeCodec: Codec<RatchetTree> = vector(optional(nodeCodec));
