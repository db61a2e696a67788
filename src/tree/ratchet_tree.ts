/**
 * The public ratchet tree (RFC 9420 §4, §7.1–7.8) in its array
 * representation (Appendix C), with cached tree hashes and resolution
 * sizes.
 *
 * Nodes are immutable values: every change replaces a node object, so
 * {@link RatchetTree.clone} is a shallow array copy and clones never see
 * each other's changes. A change invalidates the cached tree hash of the
 * node and its ancestors only, so after a commit only O(log n) hashes are
 * recomputed.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import type { LeafNode } from "../messages/leaf_node.ts";
import {
  type Node,
  NodeType,
  type ParentNode,
  type RatchetTree as WireRatchetTree,
} from "../messages/ratchet_tree.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { toHex } from "../util/bytes.ts";
import { KeyIndex } from "./key_index.ts";
import { nodeTreeHash } from "./tree_hash.ts";
import {
  isInSubtree,
  isLeaf,
  type LeafIndex,
  left,
  level,
  nodeCount,
  type NodeIndex,
  right,
  root,
} from "./tree_math.ts";
import { mapLimited } from "../util/map_limited.ts";

/** A node on a filtered direct path with its copath child (§4.1.2). */
export interface PathStep {
  /** The direct-path node. */
  node: NodeIndex;
  /** Its child that is not on the path: the copath node. */
  copath: NodeIndex;
}

/** The ratchet tree of one group: public state only. */
export class RatchetTree {
  #nodes: (Node | undefined)[];
  #hashes: (Uint8Array | undefined)[];
  #hashSuite = -1;
  #resolutionSizes: number[];
  #blankHint = 0;
  #encryptionKeyIndex: KeyIndex | undefined;
  #signatureKeyIndex: KeyIndex | undefined;
  #creds: CredentialStats | undefined;

  private constructor(nodes: (Node | undefined)[]) {
    this.#nodes = nodes;
    this.#hashes = new Array(nodes.length);
    this.#resolutionSizes = new Array(nodes.length).fill(-1);
  }

  /**
   * Builds a tree from its wire form (§12.4.3.3): the last entry must be
   * non-blank; the tree is padded with blanks to `2^(d+1) - 1` nodes; even
   * entries must be leaves and odd entries parents.
   *
   * @param nodes `optional<Node> ratchet_tree<V>` in array order
   * @returns the tree; throws `MlsError("invalid_tree_shape")` otherwise
   */
  static fromNodes(nodes: WireRatchetTree): RatchetTree {
    if (nodes.length === 0) {
      throw new MlsError("invalid_tree_shape", "empty ratchet tree", "tree");
    }
    if (nodes[nodes.length - 1] === undefined) {
      throw new MlsError(
        "invalid_tree_shape",
        "the last node of a ratchet tree must not be blank",
        `node[${nodes.length - 1}]`,
      );
    }
    if (nodes.length > 0x7fffffff) {
      throw new MlsError("invalid_tree_shape", "tree too large", "tree");
    }
    let leaves = 1;
    while (nodeCount(leaves) < nodes.length) leaves *= 2;
    const full: (Node | undefined)[] = new Array(nodeCount(leaves)).fill(
      undefined,
    );
    for (let x = 0; x < nodes.length; x++) {
      const n = nodes[x];
      if (n === undefined) continue;
      const want = isLeaf(x) ? NodeType.leaf : NodeType.parent;
      if (n.nodeType !== want) {
        throw new MlsError(
          "invalid_tree_shape",
          `a ${isLeaf(x) ? "leaf" : "parent"} position holds another node`,
          `node[${x}]`,
        );
      }
      full[x] = n;
    }
    return new RatchetTree(full);
  }

  /**
   * A one-member tree: the group creator's leaf.
   *
   * @param leaf the creator's leaf node
   * @returns the new tree
   */
  static create(leaf: LeafNode): RatchetTree {
    return new RatchetTree([{ nodeType: NodeType.leaf, leafNode: leaf }]);
  }

  /**
   * The wire form (§12.4.3.3): array order, truncated after the last
   * non-blank node.
   *
   * @returns the node list; node objects are shared, do not mutate them
   */
  toNodes(): WireRatchetTree {
    let end = this.#nodes.length;
    while (end > 0 && this.#nodes[end - 1] === undefined) end--;
    return this.#nodes.slice(0, end);
  }

  /** Number of leaves, blank or not (a power of two). */
  get leafCount(): number {
    return (this.#nodes.length + 1) / 2;
  }

  /** Number of nodes: `2 * leafCount - 1`. */
  get nodeWidth(): number {
    return this.#nodes.length;
  }

  /** The root node index. */
  get root(): NodeIndex {
    return root(this.leafCount);
  }

  /** Node `x`, or `undefined` when blank or outside the tree. */
  node(x: NodeIndex): Node | undefined {
    return this.#nodes[x];
  }

  /** The leaf node at leaf index `i`, or `undefined` when blank. */
  getLeaf(i: LeafIndex): LeafNode | undefined {
    const n = this.#nodes[2 * i];
    return n?.nodeType === NodeType.leaf ? n.leafNode : undefined;
  }

  /** The parent node at node index `x`, or `undefined` when blank. */
  getParent(x: NodeIndex): ParentNode | undefined {
    const n = this.#nodes[x];
    return n?.nodeType === NodeType.parent ? n.parentNode : undefined;
  }

  /** The HPKE public key of node `x`, or `undefined` when blank. */
  encryptionKey(x: NodeIndex): Uint8Array | undefined {
    const n = this.#nodes[x];
    if (n === undefined) return undefined;
    return n.nodeType === NodeType.leaf
      ? n.leafNode.encryptionKey
      : n.parentNode.encryptionKey;
  }

  /** The non-blank leaves, as `[leafIndex, leafNode]`, left to right. */
  *leaves(): IterableIterator<[LeafIndex, LeafNode]> {
    for (let x = 0; x < this.#nodes.length; x += 2) {
      const n = this.#nodes[x];
      if (n?.nodeType === NodeType.leaf) yield [x >>> 1, n.leafNode];
    }
  }

  /**
   * A copy that shares node objects and cached hashes with this tree:
   * O(n) pointer copies, no node copies; the key indexes fork in O(log n).
   *
   * @returns an independent tree
   */
  clone(): RatchetTree {
    // Build the lazy key indexes and credential statistics here, on the
    // source, so that every clone shares them: each group operation clones
    // its state's tree, and building them on the clone would cost O(n) per
    // operation instead of once per tree.
    this.#buildIndexes();
    const c = this.#credStats();
    for (const [type, k] of c.used) {
      if (k > 0) this.leavesNotSupportingCredential(type);
    }
    const t = new RatchetTree([]);
    t.#nodes = this.#nodes.slice();
    t.#hashes = this.#hashes.slice();
    t.#hashSuite = this.#hashSuite;
    t.#resolutionSizes = this.#resolutionSizes.slice();
    t.#blankHint = this.#blankHint;
    t.#encryptionKeyIndex = this.#encryptionKeyIndex?.fork();
    t.#signatureKeyIndex = this.#signatureKeyIndex?.fork();
    t.#creds = this.#creds && {
      used: new Map(this.#creds.used),
      unsupported: new Map(this.#creds.unsupported),
    };
    return t;
  }

  // ---- mutation ------------------------------------------------------

  /**
   * Replaces node `x` (or blanks it) and invalidates the caches of `x` and
   * its ancestors. The lowest-level mutation; callers keep the tree's
   * invariants.
   *
   * @param x node index inside the tree
   * @param node the new node, of the type `x`'s position requires
   */
  setNode(x: NodeIndex, node: Node | undefined): void {
    if (x < 0 || x >= this.#nodes.length) {
      throw new MlsError("invalid_argument", "node outside the tree", `${x}`);
    }
    if (
      node && node.nodeType !== (isLeaf(x) ? NodeType.leaf : NodeType.parent)
    ) {
      throw new MlsError("invalid_argument", "wrong node type", `node[${x}]`);
    }
    const old = this.#nodes[x];
    if (old === node) return;
    this.#unindex(x, old);
    this.#nodes[x] = node;
    this.#index(x, node);
    if (node === undefined && isLeaf(x)) {
      this.#blankHint = Math.min(this.#blankHint, x >>> 1);
    }
    this.#touch(x);
  }

  /** Sets (or blanks) leaf `i`; see {@link RatchetTree.setNode}. */
  setLeaf(i: LeafIndex, leaf: LeafNode | undefined): void {
    this.setNode(
      2 * i,
      leaf && { nodeType: NodeType.leaf, leafNode: leaf },
    );
  }

  /** Sets (or blanks) parent node `x`; see {@link RatchetTree.setNode}. */
  setParent(x: NodeIndex, parent: ParentNode | undefined): void {
    this.setNode(
      x,
      parent && { nodeType: NodeType.parent, parentNode: parent },
    );
  }

  /** Blanks every node on the direct path of leaf `i`. */
  blankDirectPath(i: LeafIndex): void {
    for (const p of this.directPath(i)) this.setNode(p, undefined);
  }

  /** The leftmost blank leaf, or `leafCount` if every leaf is occupied. */
  leftmostBlankLeaf(): LeafIndex {
    let i = this.#blankHint;
    while (2 * i < this.#nodes.length && this.#nodes[2 * i] !== undefined) i++;
    this.#blankHint = i;
    return i;
  }

  /**
   * Adds a member (§7.7, §12.1.1): the leftmost blank leaf, extending the
   * tree if none is free; the new leaf becomes unmerged at every non-blank
   * parent on its direct path (kept in ascending order).
   *
   * @param leaf the new member's leaf node
   * @returns the leaf index it was placed at
   */
  addLeaf(leaf: LeafNode): LeafIndex {
    const i = this.leftmostBlankLeaf();
    if (2 * i >= this.#nodes.length) this.#extend();
    this.setLeaf(i, leaf);
    for (const p of this.directPath(i)) {
      const pn = this.getParent(p);
      if (!pn) continue;
      const u = pn.unmergedLeaves;
      let at = u.length;
      while (at > 0 && u[at - 1] > i) at--;
      this.setParent(p, {
        ...pn,
        unmergedLeaves: [...u.slice(0, at), i, ...u.slice(at)],
      });
    }
    return i;
  }

  /**
   * Replaces a member's leaf and blanks its direct path (an Update
   * proposal, §12.1.2).
   *
   * @param i the member's leaf index; must be non-blank
   * @param leaf the new leaf node
   */
  updateLeaf(i: LeafIndex, leaf: LeafNode): void {
    this.#requireMember(i);
    this.setLeaf(i, leaf);
    this.blankDirectPath(i);
  }

  /**
   * Removes a member (§7.7, §12.1.3): blanks its leaf and direct path, then
   * truncates the tree while its right half is entirely blank.
   *
   * @param i the member's leaf index; must be non-blank
   */
  removeLeaf(i: LeafIndex): void {
    this.#requireMember(i);
    this.setLeaf(i, undefined);
    this.blankDirectPath(i);
    this.truncate();
  }

  /** Halves the tree while the root's right subtree is entirely blank. */
  truncate(): void {
    while (this.#nodes.length > 1) {
      const r = this.root;
      if (this.resolutionSize(right(r)) !== 0) break;
      this.setNode(r, undefined);
      const w = (this.#nodes.length - 1) / 2;
      this.#nodes.length = w;
      this.#hashes.length = w;
      this.#resolutionSizes.length = w;
      this.#blankHint = Math.min(this.#blankHint, (w + 1) / 2);
    }
  }

  #extend(): void {
    const w = this.#nodes.length;
    this.#nodes.length = 2 * w + 1;
    this.#nodes.fill(undefined, w);
    this.#hashes.length = 2 * w + 1;
    this.#resolutionSizes.length = 2 * w + 1;
    this.#resolutionSizes.fill(0, w + 1);
    this.#resolutionSizes[w] = -1;
  }

  #requireMember(i: LeafIndex): void {
    if (!Number.isInteger(i) || i < 0 || this.getLeaf(i) === undefined) {
      throw new MlsError(
        "invalid_leaf_index",
        "no member at this leaf",
        `leaf[${i}]`,
      );
    }
  }

  // Invalidates the caches of x and its ancestors. Invariant: a node with
  // a stale cache has ancestors with stale caches, so the walk may stop at
  // the first ancestor already invalidated.
  #touch(x: NodeIndex): void {
    this.#hashes[x] = undefined;
    this.#resolutionSizes[x] = -1;
    const r = this.root;
    while (x !== r) {
      x = parentOf(x);
      if (this.#hashes[x] === undefined && this.#resolutionSizes[x] < 0) break;
      this.#hashes[x] = undefined;
      this.#resolutionSizes[x] = -1;
    }
  }

  // ---- paths and resolution (§4.1) ------------------------------------

  /** The direct path of leaf `i`: its ancestors, parent first, root last. */
  directPath(i: LeafIndex): NodeIndex[] {
    const r = this.root;
    const out: NodeIndex[] = [];
    for (let x = 2 * i; x !== r;) {
      x = parentOf(x);
      out.push(x);
    }
    return out;
  }

  /** The direct path of leaf `i` with each node's copath child. */
  path(i: LeafIndex): PathStep[] {
    const r = this.root;
    const out: PathStep[] = [];
    for (let x = 2 * i; x !== r;) {
      const p = parentOf(x);
      out.push({ node: p, copath: x < p ? right(p) : left(p) });
      x = p;
    }
    return out;
  }

  /**
   * The filtered direct path of leaf `i` with copath children (§4.1.2):
   * direct-path nodes whose copath child has a non-empty resolution.
   */
  filteredPath(i: LeafIndex): PathStep[] {
    return this.path(i).filter((s) => this.resolutionSize(s.copath) > 0);
  }

  /** The filtered direct path of leaf `i` (§4.1.2). */
  filteredDirectPath(i: LeafIndex): NodeIndex[] {
    return this.filteredPath(i).map((s) => s.node);
  }

  /** The copath of leaf `i`. */
  copath(i: LeafIndex): NodeIndex[] {
    return this.path(i).map((s) => s.copath);
  }

  /**
   * The resolution of node `x` (§4.1.1): a non-blank node and its unmerged
   * leaves, or the concatenated resolutions of a blank node's children.
   *
   * @param x node index
   * @param excluded leaves to leave out (members added by the current
   *   commit, §12.4.2)
   * @returns node indices, left to right
   */
  resolution(x: NodeIndex, excluded?: ReadonlySet<LeafIndex>): NodeIndex[] {
    const out: NodeIndex[] = [];
    const walk = (y: NodeIndex): void => {
      const n = this.#nodes[y];
      if (n !== undefined) {
        if (n.nodeType === NodeType.leaf) {
          if (!excluded?.has(y >>> 1)) out.push(y);
          return;
        }
        out.push(y);
        for (const u of n.parentNode.unmergedLeaves) {
          if (!excluded?.has(u)) out.push(2 * u);
        }
      } else if (!isLeaf(y) && this.resolutionSize(y) > 0) {
        walk(left(y));
        walk(right(y));
      }
    };
    walk(x);
    return out;
  }

  /** The length of `resolution(x)`, cached per node. */
  resolutionSize(x: NodeIndex): number {
    const s = this.#resolutionSizes[x];
    if (s >= 0) return s;
    const n = this.#nodes[x];
    let v: number;
    if (n !== undefined) {
      v = n.nodeType === NodeType.parent
        ? 1 + n.parentNode.unmergedLeaves.length
        : 1;
    } else if (isLeaf(x)) v = 0;
    else v = this.resolutionSize(left(x)) + this.resolutionSize(right(x));
    this.#resolutionSizes[x] = v;
    return v;
  }

  /**
   * The position of node `target` in `resolution(x, excluded)`, or -1, in
   * O(log n + |excluded| log n) using cached resolution sizes. `excluded`
   * must only hold non-blank leaves present in the resolutions they fall
   * under (true of members added by the current commit).
   */
  resolutionIndex(
    x: NodeIndex,
    target: NodeIndex,
    excluded?: ReadonlySet<LeafIndex>,
  ): number {
    if (excluded?.has(target >>> 1) && isLeaf(target)) return -1;
    let acc = 0;
    while (true) {
      const n = this.#nodes[x];
      if (x === target) return n === undefined ? -1 : acc;
      if (n !== undefined) {
        if (n.nodeType === NodeType.leaf || !isLeaf(target)) return -1;
        let k = 1;
        for (const u of n.parentNode.unmergedLeaves) {
          if (2 * u === target) return acc + k;
          if (!excluded?.has(u)) k++;
        }
        return -1;
      }
      if (isLeaf(x) || !isInSubtree(target, x)) return -1;
      const l = left(x);
      if (isInSubtree(target, l)) x = l;
      else {
        acc += this.resolutionSize(l) - countIn(excluded, l);
        x = right(x);
      }
    }
  }

  // ---- tree hashes (§7.8) ---------------------------------------------

  /** The tree hash of the root: the GroupContext `tree_hash`. */
  treeHash(cs: SuiteCrypto): Promise<Uint8Array> {
    return this.nodeTreeHash(cs, this.root);
  }

  /**
   * The cached tree hashes of the nodes at `minLevel` and above, in node
   * order: what a stored state keeps so that, once loaded, a change
   * recomputes only subtrees below `minLevel` along its path instead of the
   * whole tree.
   */
  cachedHashes(
    cs: SuiteCrypto,
    minLevel: number,
  ): [NodeIndex, Uint8Array][] {
    if (this.#hashSuite !== cs.id) return [];
    const out: [NodeIndex, Uint8Array][] = [];
    const first = (1 << minLevel) - 1;
    for (let x = first; x < this.#nodes.length; x += 1 << minLevel) {
      // Nodes at level >= minLevel are those with minLevel trailing ones.
      const h = this.#hashes[x];
      if (h !== undefined && level(x) >= minLevel) out.push([x, h]);
    }
    return out;
  }

  /**
   * Fills the hash cache from {@link cachedHashes} of this same tree (a
   * stored state's own bytes: trusted, like the rest of the state).
   */
  seedHashes(
    cs: SuiteCrypto,
    entries: readonly (readonly [NodeIndex, Uint8Array])[],
  ): void {
    if (this.#hashSuite !== cs.id) {
      this.#hashes = new Array(this.#nodes.length);
      this.#hashSuite = cs.id;
    }
    for (const [x, h] of entries) {
      if (x < 0 || x >= this.#nodes.length) {
        throw new MlsError("invalid_value", "node outside the tree", `${x}`);
      }
      this.#hashes[x] = h;
    }
  }

  /** The tree hash of node `x`, from the cache where it is fresh. */
  async nodeTreeHash(cs: SuiteCrypto, x: NodeIndex): Promise<Uint8Array> {
    return (await this.nodeTreeHashes(cs, [x]))[0];
  }

  /**
   * The tree hashes of several nodes, recomputing only stale cache entries
   * below them, level by level, each level concurrently.
   */
  async nodeTreeHashes(
    cs: SuiteCrypto,
    xs: readonly NodeIndex[],
  ): Promise<Uint8Array[]> {
    if (this.#hashSuite !== cs.id) {
      this.#hashes = new Array(this.#nodes.length);
      this.#hashSuite = cs.id;
    }
    for (const x of xs) {
      if (x < 0 || x >= this.#nodes.length) {
        throw new MlsError("invalid_argument", "node outside the tree", `${x}`);
      }
    }
    // Loops only if the tree changes while hashes are being computed.
    while (xs.some((x) => this.#hashes[x] === undefined)) {
      await this.#refresh(cs, xs);
    }
    return xs.map((x) => this.#hashes[x]!);
  }

  async #refresh(cs: SuiteCrypto, xs: readonly NodeIndex[]): Promise<void> {
    const byLevel: NodeIndex[][] = [];
    const seen = new Set<NodeIndex>();
    const stack = xs.filter((x) => this.#hashes[x] === undefined);
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      (byLevel[level(x)] ??= []).push(x);
      if (isLeaf(x)) continue;
      if (this.#hashes[left(x)] === undefined) stack.push(left(x));
      if (this.#hashes[right(x)] === undefined) stack.push(right(x));
    }
    const hashes = this.#hashes;
    for (const xsAtLevel of byLevel) {
      if (!xsAtLevel) continue;
      await mapLimited(xsAtLevel, async (x) => {
        const node = this.#nodes[x];
        const leaf = isLeaf(x);
        const lh = leaf ? undefined : hashes[left(x)];
        const rh = leaf ? undefined : hashes[right(x)];
        if (!leaf && (lh === undefined || rh === undefined)) return;
        const h = await nodeTreeHash(cs, x, node, lh, rh);
        // Store only if nothing this hash depends on changed meanwhile.
        if (
          this.#hashes === hashes && x < this.#nodes.length &&
          this.#nodes[x] === node &&
          (leaf || (hashes[left(x)] === lh && hashes[right(x)] === rh))
        ) hashes[x] = h;
      });
    }
  }

  // ---- key lookups ----------------------------------------------------

  /** The leaf whose signature key is `key`, if any. */
  findLeafBySignatureKey(key: Uint8Array): LeafIndex | undefined {
    this.#buildIndexes();
    return this.#signatureKeyIndex!.get(toHex(key));
  }

  /** The node (leaf or parent) whose HPKE public key is `key`, if any. */
  findNodeByEncryptionKey(key: Uint8Array): NodeIndex | undefined {
    this.#buildIndexes();
    return this.#encryptionKeyIndex!.get(toHex(key));
  }

  #buildIndexes(): void {
    if (this.#encryptionKeyIndex) return;
    this.#encryptionKeyIndex = new KeyIndex();
    this.#signatureKeyIndex = new KeyIndex();
    for (let x = 0; x < this.#nodes.length; x++) {
      this.#index(x, this.#nodes[x]);
    }
  }

  // ---- credential statistics (§7.3) -----------------------------------

  /** The credential types used by the tree's leaves (O(types) when warm). */
  credentialTypesInUse(): number[] {
    const c = this.#credStats();
    return [...c.used].filter(([, k]) => k > 0).map(([t]) => t);
  }

  /** How many leaves use credential type `type`. */
  leavesUsingCredential(type: number): number {
    return this.#credStats().used.get(type) ?? 0;
  }

  /**
   * How many leaves do not list credential type `type` in their
   * capabilities: O(n) the first time a type is asked about, then kept up
   * to date in O(1) per change.
   */
  leavesNotSupportingCredential(type: number): number {
    const c = this.#credStats();
    let k = c.unsupported.get(type);
    if (k === undefined) {
      k = 0;
      for (const [, l] of this.leaves()) {
        if (!l.capabilities.credentials.includes(type)) k++;
      }
      c.unsupported.set(type, k);
    }
    return k;
  }

  #credStats(): CredentialStats {
    if (!this.#creds) {
      this.#creds = { used: new Map(), unsupported: new Map() };
      for (const [, l] of this.leaves()) this.#countLeaf(l, 1);
    }
    return this.#creds;
  }

  #countLeaf(l: LeafNode, d: 1 | -1): void {
    const c = this.#creds!;
    const t = l.credential.credentialType;
    c.used.set(t, (c.used.get(t) ?? 0) + d);
    for (const [u, k] of c.unsupported) {
      if (!l.capabilities.credentials.includes(u)) c.unsupported.set(u, k + d);
    }
  }

  #index(x: NodeIndex, n: Node | undefined): void {
    if (this.#creds && n?.nodeType === NodeType.leaf) {
      this.#countLeaf(n.leafNode, 1);
    }
    if (!this.#encryptionKeyIndex || n === undefined) return;
    if (n.nodeType === NodeType.leaf) {
      this.#encryptionKeyIndex.set(toHex(n.leafNode.encryptionKey), x);
      this.#signatureKeyIndex!.set(toHex(n.leafNode.signatureKey), x >>> 1);
    } else this.#encryptionKeyIndex.set(toHex(n.parentNode.encryptionKey), x);
  }

  #unindex(x: NodeIndex, n: Node | undefined): void {
    if (this.#creds && n?.nodeType === NodeType.leaf) {
      this.#countLeaf(n.leafNode, -1);
    }
    if (!this.#encryptionKeyIndex || n === undefined) return;
    if (n.nodeType === NodeType.leaf) {
      this.#encryptionKeyIndex.deleteIf(toHex(n.leafNode.encryptionKey), x);
      this.#signatureKeyIndex!.deleteIf(
        toHex(n.leafNode.signatureKey),
        x >>> 1,
      );
    } else {this.#encryptionKeyIndex.deleteIf(
        toHex(n.parentNode.encryptionKey),
        x,
      );}
  }
}

interface CredentialStats {
  // credential type -> number of leaves using it
  used: Map<number, number>;
  // credential type -> number of leaves whose capabilities omit it
  unsupported: Map<number, number>;
}

// The parent of x, independent of the tree size (x must not be the root).
function parentOf(x: NodeIndex): NodeIndex {
  const k = level(x);
  const b = (x >> (k + 1)) & 1;
  return ((x | (1 << k)) ^ (b << (k + 1))) >>> 0;
}

function countIn(
  excluded: ReadonlySet<LeafIndex> | undefined,
  x: NodeIndex,
): number {
  if (!excluded || excluded.size === 0) return 0;
  let c = 0;
  for (const u of excluded) if (isInSubtree(2 * u, x)) c++;
  return c;
}
