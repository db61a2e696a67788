/**
 * A ratchet tree stored relative to another (`TreeSegment`), as a base
 * record (`TreeBase`) and per-commit deltas (`TreeDelta`), with the tree
 * hashes kept with it (`TreeHashes`); layouts and rules in `format.ts`.
 * A state's tree is a base and a chain of deltas, each costing bytes in
 * proportion to what one commit changed, O(log n) for a commit with a
 * path.
 *
 * @module
 */

import {
  type Codec,
  opaque,
  optional,
  struct,
  uint32,
  uint8,
  variant,
  vector,
} from "../../codec/codec.ts";
import { MlsError } from "../../errors.ts";
import {
  type Node,
  nodeCodec,
  type RatchetTree as WireTree,
  ratchetTreeCodec,
} from "../../messages/ratchet_tree.ts";
import type { RatchetTree } from "../../tree/ratchet_tree.ts";
import { level } from "../../tree/tree_math.ts";
import { bytesEqual } from "../../util/bytes.ts";
import type { SuiteCrypto } from "../../../providers/provider.ts";
import { TREE_HASH_MIN_LEVEL } from "./format.ts";

/** One run of a tree stored relative to a base tree. */
export type TreeSegment =
  | { kind: 1; count: number }
  | { kind: 2; node: Node | undefined };

/** `TreeSegment segments<V>`. */
export const treeSegmentsCodec: Codec<TreeSegment[]> = vector(
  variant<TreeSegment, "kind">("kind", uint8, {
    1: struct({ count: uint32 }),
    2: struct({ node: optional(nodeCodec) }),
  }),
);

/**
 * `tree` as segments relative to `base`: positions whose node is the very
 * same object (or blank in both) are copied; others are stored.
 */
export function diffTree(base: WireTree, tree: WireTree): TreeSegment[] {
  const out: TreeSegment[] = [];
  let run = 0;
  for (let x = 0; x < tree.length; x++) {
    if (x < base.length && tree[x] === base[x]) {
      run++;
      continue;
    }
    if (run > 0) out.push({ kind: 1, count: run });
    run = 0;
    out.push({ kind: 2, node: tree[x] });
  }
  if (run > 0) out.push({ kind: 1, count: run });
  return out;
}

/**
 * Rebuilds a tree from `base` and its segments (the inverse of
 * {@link diffTree}): copied nodes are `base`'s own objects, so the result
 * diffs against `base` to the same segments again.
 *
 * @throws MlsError `invalid_value` for an empty or split copy run, or one
 *   reaching past the end of `base`
 */
export function applyTreeSegments(
  base: WireTree,
  segments: readonly TreeSegment[],
  field: string,
): WireTree {
  const out: WireTree = [];
  let copying = false;
  for (const s of segments) {
    if (s.kind === 2) {
      out.push(s.node);
      copying = false;
      continue;
    }
    if (s.count === 0 || copying || out.length + s.count > base.length) {
      throw new MlsError("invalid_value", "bad copy run", field);
    }
    for (let i = 0; i < s.count; i++) out.push(base[out.length]);
    copying = true;
  }
  return out;
}

/** A stored tree hash. */
export interface HashEntry {
  /** Node index. */
  node: number;
  /** Its tree hash. */
  hash: Uint8Array;
}

const hashEntryList = vector(
  struct<HashEntry>({ node: uint32, hash: opaque }),
);

/**
 * `TreeHashEntry entries<V>`, nodes strictly ascending (what every encoder
 * writes): a node twice or out of order is `invalid_value`.
 */
const hashEntriesCodec: Codec<HashEntry[]> = {
  encode: hashEntryList.encode,
  decode: (r, f) => {
    const list = hashEntryList.decode(r, f);
    for (let i = 1; i < list.length; i++) {
      if (list[i].node <= list[i - 1].node) {
        throw new MlsError(
          "invalid_value",
          "tree hash entries out of order",
          `${f}[${i}]`,
        );
      }
    }
    return list;
  },
};

/** A base tree record's body (`TreeBase`). */
export interface TreeBaseWire {
  /** The nodes. */
  tree: WireTree;
  /** The hashes, in node order. */
  hashes: HashEntry[];
}

/** `TreeBase`. */
export const treeBaseCodec: Codec<TreeBaseWire> = struct<TreeBaseWire>({
  tree: ratchetTreeCodec,
  hashes: hashEntriesCodec,
});

/** A tree delta's body (`TreeDelta`). */
export interface TreeDeltaWire {
  /** The tree relative to the previous one. */
  tree: TreeSegment[];
  /** Hash entries new or changed. */
  hashes: HashEntry[];
}

/** `TreeDelta`. */
export const treeDeltaCodec: Codec<TreeDeltaWire> = struct<TreeDeltaWire>({
  tree: treeSegmentsCodec,
  hashes: hashEntriesCodec,
});

/** `TreeHashes`: a version 2 state's tree hashes. */
export interface TreeHashesWire {
  /** The lowest level stored ({@link TREE_HASH_MIN_LEVEL}). */
  minLevel: number;
  /** Node index and tree hash, in node order. */
  entries: HashEntry[];
}

/** `TreeHashes`. */
export const treeHashesCodec: Codec<TreeHashesWire> = struct<TreeHashesWire>({
  minLevel: uint8,
  entries: hashEntriesCodec,
});

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
    // Unchanged subtrees keep the very hash objects (tree clones share
    // them): identity settles most entries without comparing bytes.
    if (had && (had === hash || bytesEqual(had, hash))) continue;
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
