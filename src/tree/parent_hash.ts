/**
 * Parent hashes (RFC 9420 §7.9): computing them along an UpdatePath, and
 * verifying that every non-blank parent of a tree is parent-hash valid
 * (§7.9.2) when joining.
 *
 * @module
 */

import { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import { LeafNodeSource } from "../messages/leaf_node.ts";
import { NodeType, type ParentNode } from "../messages/ratchet_tree.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { bytesEqual } from "../util/bytes.ts";
import type { PathStep, RatchetTree } from "./ratchet_tree.ts";
import { nodeTreeHash } from "./tree_hash.ts";
import { verifyUnmergedLeaves } from "./unmerged_leaves.ts";
import {
  isInSubtree,
  isLeaf,
  type LeafIndex,
  left,
  type NodeIndex,
  right,
} from "./tree_math.ts";
import { mapLimited } from "../util/map_limited.ts";

const EMPTY = new Uint8Array(0);

/**
 * `Hash(ParentHashInput)` (§7.9): `encryption_key`, `parent_hash`,
 * `original_sibling_tree_hash`, each `<V>`.
 *
 * @param cs the suite's crypto
 * @param encryptionKey the parent's HPKE public key
 * @param parentHash the parent's own `parent_hash` field
 * @param siblingHash the original tree hash of the copath child
 * @returns the parent hash of the parent with that copath child
 */
export function parentHash(
  cs: SuiteCrypto,
  encryptionKey: Uint8Array,
  parentHash: Uint8Array,
  siblingHash: Uint8Array,
): Promise<Uint8Array> {
  const w = new Writer(
    encryptionKey.length + parentHash.length + siblingHash.length + 12,
  );
  w.opaque(encryptionKey);
  w.opaque(parentHash);
  w.opaque(siblingHash);
  return cs.hash(w.finish());
}

/** The parent-hash values of a freshly set filtered direct path. */
export interface PathParentHashes {
  /** The `parent_hash` field of each path node, in path order. */
  fields: Uint8Array[];
  /** The `parent_hash` the committer's leaf must carry. */
  leafParentHash: Uint8Array;
}

/**
 * Parent hashes for an UpdatePath (§7.9, §7.5 step 3), computed root first.
 * The path nodes have no unmerged leaves, so each original sibling tree
 * hash is the copath child's current (cached) tree hash.
 *
 * @param cs the suite's crypto
 * @param tree the tree the path is merged into (copath subtrees current)
 * @param steps the committer's filtered direct path with copath children
 * @param keys the new public key of each path node, in path order
 * @returns each node's `parent_hash` field and the leaf's
 */
export async function pathParentHashes(
  cs: SuiteCrypto,
  tree: RatchetTree,
  steps: readonly PathStep[],
  keys: readonly Uint8Array[],
): Promise<PathParentHashes> {
  const siblings = await tree.nodeTreeHashes(cs, steps.map((s) => s.copath));
  const fields: Uint8Array[] = new Array(steps.length);
  let next: Uint8Array = EMPTY;
  for (let k = steps.length - 1; k >= 0; k--) {
    fields[k] = next;
    next = await parentHash(cs, keys[k], next, siblings[k]);
  }
  return { fields, leafParentHash: next };
}

/**
 * The tree hash of node `x` with the given leaves blanked and removed from
 * every `unmerged_leaves` list (the "original sibling tree hash", §7.9).
 * Subtrees holding none of those leaves use the cached hash, so the cost is
 * O(|leaves| × log n) hashes.
 *
 * @param cs the suite's crypto
 * @param tree the tree (its hash cache is refreshed as needed)
 * @param x the subtree root
 * @param leaves the leaves to leave out
 * @returns the hash
 */
export async function treeHashWithout(
  cs: SuiteCrypto,
  tree: RatchetTree,
  x: NodeIndex,
  leaves: readonly LeafIndex[],
): Promise<Uint8Array> {
  const inside = leaves.filter((u) => isInSubtree(2 * u, x));
  if (inside.length === 0) return tree.nodeTreeHash(cs, x);
  if (isLeaf(x)) return nodeTreeHash(cs, x, undefined);
  const p = tree.getParent(x);
  const [lh, rh] = await Promise.all([
    treeHashWithout(cs, tree, left(x), inside),
    treeHashWithout(cs, tree, right(x), inside),
  ]);
  const node = p && {
    nodeType: NodeType.parent,
    parentNode: {
      ...p,
      unmergedLeaves: p.unmergedLeaves.filter((u) => !inside.includes(u)),
    },
  } as const;
  return nodeTreeHash(cs, x, node, lh, rh);
}

/**
 * Verifies that every non-blank parent node is parent-hash valid (§7.9.2),
 * top-down: for parent P with children C and S, the only candidate D below
 * C is the single node of `resolution(C)` not among P's unmerged leaves;
 * P is valid if exactly one side's D carries the parent hash of P with
 * copath child S. Uses cached resolution sizes and tree hashes: O(n) plus
 * O(log n) per unmerged entry. Checks the unmerged-leaves invariants first
 * (the candidate search relies on them).
 *
 * @param cs the suite's crypto
 * @param tree the tree to check
 * @throws MlsError `invalid_parent_hash` with `field` = `node[x]`, or
 *   `invalid_unmerged_leaves`
 */
export async function verifyParentHashes(
  cs: SuiteCrypto,
  tree: RatchetTree,
): Promise<void> {
  verifyUnmergedLeaves(tree);
  await tree.treeHash(cs); // warm the cache once for every subtree
  const parents: NodeIndex[] = [];
  for (let x = 1; x < tree.nodeWidth; x += 2) {
    if (tree.getParent(x)) parents.push(x);
  }
  const ok = await mapLimited(parents, (x) => isParentHashValid(cs, tree, x));
  const bad = ok.indexOf(false);
  if (bad >= 0) {
    throw new MlsError(
      "invalid_parent_hash",
      "parent node is not parent-hash valid",
      `node[${parents[bad]}]`,
    );
  }
}

async function isParentHashValid(
  cs: SuiteCrypto,
  tree: RatchetTree,
  x: NodeIndex,
): Promise<boolean> {
  const p = tree.getParent(x)!;
  let matches = 0;
  for (const [c, s] of [[left(x), right(x)], [right(x), left(x)]]) {
    const d = chainChild(tree, c, p.unmergedLeaves);
    if (d === undefined) continue;
    const field = parentHashField(tree, d);
    if (field === undefined) continue;
    const sibling = await treeHashWithout(cs, tree, s, p.unmergedLeaves);
    const ph = await parentHash(cs, p.encryptionKey, p.parentHash, sibling);
    if (bytesEqual(ph, field)) matches++;
  }
  return matches === 1;
}

// The unique node D of resolution(c) such that resolution(c) minus D equals
// the unmerged leaves of P under c, or undefined.
function chainChild(
  tree: RatchetTree,
  c: NodeIndex,
  unmerged: readonly LeafIndex[],
): NodeIndex | undefined {
  let x = c;
  let u = unmerged.filter((l) => isInSubtree(2 * l, x));
  while (true) {
    if (tree.resolutionSize(x) !== u.length + 1) return undefined;
    const n = tree.node(x);
    if (n?.nodeType === NodeType.leaf) return u.length === 0 ? x : undefined;
    if (n !== undefined) {
      return sameSet(n.parentNode, u) ? x : undefined;
    }
    if (isLeaf(x)) return undefined;
    const l = left(x);
    const ul = u.filter((v) => isInSubtree(2 * v, l));
    if (tree.resolutionSize(l) > ul.length) {
      x = l;
      u = ul;
    } else {
      x = right(x);
      u = u.filter((v) => !isInSubtree(2 * v, l));
    }
  }
}

function sameSet(p: ParentNode, u: readonly LeafIndex[]): boolean {
  return p.unmergedLeaves.length === u.length &&
    u.every((v) => p.unmergedLeaves.includes(v));
}

function parentHashField(
  tree: RatchetTree,
  d: NodeIndex,
): Uint8Array | undefined {
  const n = tree.node(d);
  if (n?.nodeType === NodeType.parent) return n.parentNode.parentHash;
  if (n?.leafNode.leafNodeSource === LeafNodeSource.commit) {
    return n.leafNode.parentHash;
  }
  return undefined;
}
