/**
 * A ratchet tree stored outside the group state record, so that a commit
 * stores what it changed instead of the whole tree (the layout and its
 * place in the state format are in `serialize.ts`):
 *
 * ```text
 * struct { uint32 node; opaque hash<V>; } TreeHashEntry;
 * struct {
 *   optional<Node> tree<V>;          // §12.4.3.3 wire form
 *   TreeHashEntry hashes<V>;         // cached hashes, level >= 4
 * } TreeBase;
 * struct {
 *   TreeSegment tree<V>;             // relative to the previous tree
 *   TreeHashEntry hashes<V>;         // entries new or changed since
 * } TreeDelta;
 * ```
 *
 * A delta applies to the tree it was made against (node objects are
 * immutable and shared between a tree and its clones, so unchanged nodes
 * are found by identity, see `diffTree`). Applying one drops every stored
 * hash of a node whose subtree holds a changed position (a stored node, or
 * one cut off by truncation) before taking the delta's entries: a kept
 * hash is always one of an unchanged subtree. A state's tree is then a
 * base and a chain of deltas, each costing bytes in proportion to what one
 * commit changed, O(log n) for a commit with a path.
 *
 * @module
 */

import type { RatchetTree as WireTree } from "../messages/ratchet_tree.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import { level } from "../tree/tree_math.ts";
import { bytesEqual } from "../util/bytes.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import {
  applyTreeSegments,
  diffTree,
  type HashEntry,
  type TreeBaseWire,
  type TreeDeltaWire,
  type TreeSegment,
} from "./state_codec.ts";

/** The lowest tree level whose hashes a stored tree keeps. */
export const TREE_HASH_MIN_LEVEL = 4;

/** A tree as stored: its nodes and the tree hashes kept with them. */
export interface StoredTree {
  /** Wire form; node objects shared with the tree it was taken from. */
  nodes: WireTree;
  /** Tree hashes by node index (level {@link TREE_HASH_MIN_LEVEL} and up). */
  hashes: Map<number, Uint8Array>;
}

/** What is stored of `tree` now, as a base. */
export function storedTree(cs: SuiteCrypto, tree: RatchetTree): StoredTree {
  return {
    nodes: tree.toNodes(),
    hashes: new Map(tree.cachedHashes(cs, TREE_HASH_MIN_LEVEL)),
  };
}

/** The body of a base record of `t`. */
export function treeBaseWire(t: StoredTree): TreeBaseWire {
  return {
    tree: t.nodes,
    hashes: [...t.hashes].sort((a, b) => a[0] - b[0]).map(([node, hash]) => ({
      node,
      hash,
    })),
  };
}

/** A base record's tree. */
export function fromTreeBase(w: TreeBaseWire): StoredTree {
  return {
    nodes: w.tree,
    hashes: new Map(w.hashes.map((e) => [e.node, e.hash])),
  };
}

/** Positions of `next` that differ from `prev` per `segments`. */
function changedPositions(
  prevLength: number,
  nextLength: number,
  segments: readonly TreeSegment[],
): number[] {
  const out: number[] = [];
  let x = 0;
  for (const s of segments) {
    if (s.kind === 1) x += s.count;
    else out.push(x++);
  }
  for (let y = nextLength; y < prevLength; y++) out.push(y);
  return out;
}

/** `hashes` without those of subtrees holding a `changed` position. */
function keptHashes(
  hashes: ReadonlyMap<number, Uint8Array>,
  changed: readonly number[],
  width: number,
): Map<number, Uint8Array> {
  const sorted = [...changed].sort((a, b) => a - b);
  const out = new Map<number, Uint8Array>();
  for (const [y, h] of hashes) {
    if (y >= width) continue;
    const span = (1 << level(y)) - 1;
    const lo = y - span;
    // First changed position >= lo.
    let a = 0, b = sorted.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (sorted[m] < lo) a = m + 1;
      else b = m;
    }
    if (a < sorted.length && sorted[a] <= y + span) continue;
    out.set(y, h);
  }
  return out;
}

/** The padded width of a tree of `length` wire nodes. */
function paddedWidth(length: number): number {
  let leaves = 1;
  while (2 * leaves - 1 < length) leaves *= 2;
  return 2 * leaves - 1;
}

/**
 * The delta from `prev` (a stored tree) to `tree`, and the stored tree it
 * makes: what {@link applyTreeDelta} rebuilds from `prev` and the delta.
 */
export function treeDelta(
  cs: SuiteCrypto,
  prev: StoredTree,
  tree: RatchetTree,
): { delta: TreeDeltaWire; next: StoredTree } {
  const nodes = tree.toNodes();
  const segments = diffTree(prev.nodes, nodes);
  const kept = keptHashes(
    prev.hashes,
    changedPositions(prev.nodes.length, nodes.length, segments),
    paddedWidth(nodes.length),
  );
  const hashes: HashEntry[] = [];
  for (const [node, hash] of tree.cachedHashes(cs, TREE_HASH_MIN_LEVEL)) {
    const had = kept.get(node);
    if (had && bytesEqual(had, hash)) continue;
    hashes.push({ node, hash });
    kept.set(node, hash);
  }
  return { delta: { tree: segments, hashes }, next: { nodes, hashes: kept } };
}

/** Applies a delta made by {@link treeDelta} against `prev`. */
export function applyTreeDelta(
  prev: StoredTree,
  delta: TreeDeltaWire,
  field: string,
): StoredTree {
  const nodes = applyTreeSegments(prev.nodes, delta.tree, field);
  const hashes = keptHashes(
    prev.hashes,
    changedPositions(prev.nodes.length, nodes.length, delta.tree),
    paddedWidth(nodes.length),
  );
  for (const e of delta.hashes) hashes.set(e.node, e.hash);
  return { nodes, hashes };
}
