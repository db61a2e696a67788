/**
 * Array-representation tree math (RFC 9420 §4.1, Appendix C). Leaves sit at
 * even node indices (leaf `i` is node `2i`), parents at odd ones; a tree
 * with `n` leaves (n a power of two after padding) has `2n - 1` nodes.
 *
 * All functions are O(log n) integer arithmetic; node indices stay below
 * 2^31 for any tree MLS can encode, so 32-bit bit operations are exact.
 *
 * @module
 */

import { MlsError } from "../errors.ts";

/** A node index in the array representation. */
export type NodeIndex = number;
/** A leaf index (leaf `i` is node `2i`). */
export type LeafIndex = number;

/** The level of a node: 0 for leaves, the count of trailing 1 bits. */
export function level(x: NodeIndex): number {
  if ((x & 1) === 0) return 0;
  let k = 0;
  while (((x >> k) & 1) === 1) k++;
  return k;
}

/** Number of nodes in a tree with `leaves` leaves (§4.1: 2n - 1). */
export function nodeCount(leaves: number): number {
  return leaves === 0 ? 0 : 2 * (leaves - 1) + 1;
}

/** Node index of leaf `i`. */
export function leafToNode(i: LeafIndex): NodeIndex {
  return 2 * i;
}

/** Leaf index of node `x`, which must be a leaf. */
export function nodeToLeaf(x: NodeIndex): LeafIndex {
  return x >>> 1;
}

/** Whether node `x` is a leaf. */
export function isLeaf(x: NodeIndex): boolean {
  return (x & 1) === 0;
}

/** The largest `k` with `2^k <= x`. */
function log2(x: number): number {
  if (x === 0) return 0;
  return 31 - Math.clz32(x);
}

/** Root node index of a tree with `leaves` leaves. */
export function root(leaves: number): NodeIndex {
  const w = nodeCount(leaves);
  return (1 << log2(w)) - 1;
}

/** Left child of an intermediate node. */
export function left(x: NodeIndex): NodeIndex {
  const k = level(x);
  if (k === 0) {
    throw new MlsError("invalid_value", "leaf has no children", "node");
  }
  return x ^ (1 << (k - 1));
}

/** Right child of an intermediate node. */
export function right(x: NodeIndex): NodeIndex {
  const k = level(x);
  if (k === 0) {
    throw new MlsError("invalid_value", "leaf has no children", "node");
  }
  return x ^ (3 << (k - 1));
}

/** Parent of node `x` in a tree with `leaves` leaves. */
export function parent(x: NodeIndex, leaves: number): NodeIndex {
  if (x === root(leaves)) {
    throw new MlsError("invalid_value", "root has no parent", "node");
  }
  const k = level(x);
  const b = (x >> (k + 1)) & 1;
  return ((x | (1 << k)) ^ (b << (k + 1))) >>> 0;
}

/** The other child of `x`'s parent. */
export function sibling(x: NodeIndex, leaves: number): NodeIndex {
  const p = parent(x, leaves);
  return x < p ? right(p) : left(p);
}

/** Direct path of `x`: its ancestors from parent up to the root (§4.1). */
export function directPath(x: NodeIndex, leaves: number): NodeIndex[] {
  const r = root(leaves);
  const out: NodeIndex[] = [];
  while (x !== r) {
    x = parent(x, leaves);
    out.push(x);
  }
  return out;
}

/** Copath of `x`: the sibling of each node on its path below the root. */
export function copath(x: NodeIndex, leaves: number): NodeIndex[] {
  const r = root(leaves);
  const out: NodeIndex[] = [];
  while (x !== r) {
    out.push(sibling(x, leaves));
    x = parent(x, leaves);
  }
  return out;
}

/** Whether `x` lies in the subtree rooted at `ancestor`. */
export function isInSubtree(x: NodeIndex, ancestor: NodeIndex): boolean {
  const k = level(ancestor);
  return (x >> (k + 1)) === (ancestor >> (k + 1));
}

/**
 * The lowest common ancestor of two nodes, found by walking up until the
 * subtrees coincide.
 */
export function commonAncestor(x: NodeIndex, y: NodeIndex): NodeIndex {
  const lx = level(x) + 1;
  const ly = level(y) + 1;
  if (lx <= ly && (x >> ly) === (y >> ly)) return y;
  if (ly <= lx && (x >> lx) === (y >> lx)) return x;
  let xn = x, yn = y, k = 0;
  while (xn !== yn) {
    xn >>= 1;
    yn >>= 1;
    k++;
  }
  return ((xn << k) + (1 << (k - 1)) - 1) >>> 0;
}
