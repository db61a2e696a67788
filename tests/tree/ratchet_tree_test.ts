// Ratchet tree tests beyond the vectors: randomized add/update/remove/commit
// sequences whose cached tree hash must equal a full recomputation after
// every step, with O(log n) rehashing; the O(log n) resolution index and
// key indexes against naive versions; clone isolation; tree shapes.
import assert from "node:assert/strict";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { MlsError } from "../../src/errors.ts";
import type { LeafNode } from "../../src/messages/leaf_node.ts";
import { type Node, NodeType } from "../../src/messages/ratchet_tree.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import {
  computeTreeHashes,
  leafHashInput,
  parentHashInput,
} from "../../src/tree/tree_hash.ts";
import { toHex } from "../../src/util/bytes.ts";
import { bytes, fakeCommit, fakeLeaf, prng } from "./fake_tree.ts";

// ---- helpers ------------------------------------------------------------

let hashCalls = 0;
// Tree hashing only needs `hash`, so fake leaves with random keys and a fast
// non-cryptographic 128-bit hash are enough to test the caching; the vectors
// cover the real hashes. Calls are counted.
function quickHash(d: Uint8Array): Uint8Array {
  let a = 0x811c9dc5, b = 0x01000193 ^ d.length, c = 0x9e3779b9, e = 0x85ebca6b;
  for (let i = 0; i < d.length; i++) {
    const x = d[i];
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b ^ x, 0x5bd1e995);
    c = Math.imul(c ^ x, 0x27d4eb2f);
    e = Math.imul(e ^ x, 0x165667b1);
  }
  return new Uint8Array(new Uint32Array([a, b ^ a, c, e]).buffer);
}
const fastSuite = {
  id: 1,
  hashLength: 16,
  hash(data: Uint8Array): Promise<Uint8Array> {
    hashCalls++;
    return Promise.resolve(quickHash(data));
  },
} as unknown as SuiteCrypto;

// The reference: every node rehashed from scratch, synchronously. Leaf
// encodings are memoized per (immutable) leaf object and index.
const leafInputs = new WeakMap<LeafNode, [number, Uint8Array]>();
function fullRootHash(t: RatchetTree): Promise<string> {
  const hashes: Uint8Array[] = [];
  for (let x = 0; x < t.nodeWidth; x += 2) {
    const leaf = t.getLeaf(x >>> 1);
    let input = leaf && leafInputs.get(leaf);
    if (!input || input[0] !== x) {
      input = [x, leafHashInput(x >>> 1, leaf)];
      if (leaf) leafInputs.set(leaf, input);
    }
    hashes[x] = quickHash(input[1]);
  }
  for (let k = 1; (1 << k) - 1 < t.nodeWidth; k++) {
    for (let x = (1 << k) - 1; x < t.nodeWidth; x += 1 << (k + 1)) {
      const h = 1 << (k - 1);
      hashes[x] = quickHash(
        parentHashInput(t.getParent(x), hashes[x - h], hashes[x + h]),
      );
    }
  }
  return Promise.resolve(toHex(hashes[t.root]));
}

function members(t: RatchetTree): number[] {
  return [...t.leaves()].map(([i]) => i);
}

type Op = "add" | "update" | "remove" | "commit";

function randomOp(
  t: RatchetTree,
  rand: () => number,
  pAdd: number,
  fresh: Set<number>,
): Op {
  const ms = members(t);
  const pick = () => ms[(rand() * ms.length) | 0];
  const r = rand();
  if (r < pAdd || ms.length < 2) {
    fresh.add(t.addLeaf(fakeLeaf(rand)));
    return "add";
  }
  if (r < pAdd + (1 - pAdd) / 3) {
    t.updateLeaf(pick(), fakeLeaf(rand));
    return "update";
  }
  if (r < pAdd + (2 * (1 - pAdd)) / 3) {
    const i = pick();
    t.removeLeaf(i);
    fresh.delete(i);
    return "remove";
  }
  fakeCommit(t, pick(), rand);
  fresh.clear();
  return "commit";
}

// Resolutions, resolution indexes and key lookups against naive versions.
function checkStructure(
  t: RatchetTree,
  rand: () => number,
  fresh: Set<number>,
): void {
  for (let k = 0; k < 8; k++) {
    const x = (rand() * t.nodeWidth) | 0;
    const res = t.resolution(x);
    assert.equal(t.resolutionSize(x), res.length, `resolutionSize(${x})`);
    const resEx = t.resolution(x, fresh);
    for (const y of [...resEx, (rand() * t.nodeWidth) | 0]) {
      assert.equal(
        t.resolutionIndex(x, y, fresh),
        resEx.indexOf(y),
        `resolutionIndex(${x}, ${y})`,
      );
    }
  }
  const ms = members(t);
  for (let k = 0; k < 4 && ms.length > 0; k++) {
    const i = ms[(rand() * ms.length) | 0];
    const leaf = t.getLeaf(i)!;
    assert.equal(t.findLeafBySignatureKey(leaf.signatureKey), i);
    assert.equal(t.findNodeByEncryptionKey(leaf.encryptionKey), 2 * i);
  }
  for (let x = 1; x < t.nodeWidth; x += 2) {
    const p = t.getParent(x);
    if (p) assert.equal(t.findNodeByEncryptionKey(p.encryptionKey), x);
  }
  const leaves = [...t.leaves()].map(([, l]) => l);
  for (const type of [1, 2, 3]) {
    assert.equal(
      t.leavesNotSupportingCredential(type),
      leaves.filter((l) => !l.capabilities.credentials.includes(type)).length,
    );
  }
  assert.equal(t.leavesUsingCredential(1), leaves.length);
  assert.deepEqual(t.credentialTypesInUse(), [1]);
}

async function runSequence(
  seed: number,
  target: number,
  steps: number,
): Promise<number> {
  const rand = prng(seed);
  const t = RatchetTree.create(fakeLeaf(rand));
  const fresh = new Set<number>();
  let maxLeaves = 1;
  for (let step = 0; step < steps; step++) {
    const n = members(t).length;
    const pAdd = n < target ? 0.8 : 0.25;
    const width = t.nodeWidth;
    await t.treeHash(fastSuite);
    const removed = members(t).map((i) => t.getLeaf(i)!);
    hashCalls = 0;
    const op = randomOp(t, rand, pAdd, fresh);
    const cached = toHex(await t.treeHash(fastSuite));
    // Without an extension only the changed paths are rehashed.
    if (t.nodeWidth <= width) {
      const depth = Math.log2(t.leafCount);
      assert.ok(
        hashCalls <= depth + 1,
        `${op} rehashed ${hashCalls} nodes at depth ${depth}`,
      );
    }
    assert.equal(cached, await fullRootHash(t), `step ${step} (${op})`);
    if (op === "remove") {
      const gone = removed.find((l) =>
        t.findLeafBySignatureKey(l.signatureKey) === undefined
      );
      assert.ok(gone, "the removed leaf left the signature index");
      assert.equal(t.findNodeByEncryptionKey(gone.encryptionKey), undefined);
    }
    if (step % 10 === 0) checkStructure(t, rand, fresh);
    if (step % 50 === 0) {
      const before = cached;
      const c = t.clone();
      randomOp(c, rand, 0.5, new Set());
      fakeCommit(c, members(c)[0], rand);
      assert.equal(toHex(await c.treeHash(fastSuite)), await fullRootHash(c));
      assert.equal(toHex(await t.treeHash(fastSuite)), before, "clone leak");
      assert.equal(await fullRootHash(t), before, "clone leak (nodes)");
    }
    maxLeaves = Math.max(maxLeaves, t.leafCount);
  }
  return maxLeaves;
}

// ---- randomized sequences ------------------------------------------------

Deno.test("random add/update/remove/commit on small trees: cached tree hash = full recomputation", async () => {
  for (const seed of [1, 2, 3, 4]) await runSequence(seed, 24, 300);
});

Deno.test("random sequence growing to 1,024 leaves: cached tree hash = full recomputation after every step", async () => {
  const max = await runSequence(42, 1000, 1400);
  assert.equal(max, 1024);
});

Deno.test("adding 1,024 members then removing them all truncates back to one leaf", async () => {
  const rand = prng(7);
  const t = RatchetTree.create(fakeLeaf(rand));
  for (let i = 1; i < 1024; i++) t.addLeaf(fakeLeaf(rand));
  assert.equal(t.leafCount, 1024);
  assert.equal(toHex(await t.treeHash(fastSuite)), await fullRootHash(t));
  const all = [...Array(t.nodeWidth).keys()].map((x) => t.node(x));
  const full = await computeTreeHashes(fastSuite, all);
  assert.equal(toHex(full[t.root]), await fullRootHash(t));
  const order = [...Array(1023).keys()].map((i) => i + 1)
    .sort(() => rand() - 0.5);
  let k = 0;
  for (const i of order) {
    t.removeLeaf(i);
    if (k++ % 16 === 0 || t.leafCount <= 8) {
      assert.equal(toHex(await t.treeHash(fastSuite)), await fullRootHash(t));
    }
  }
  assert.equal(t.leafCount, 1);
  assert.equal(t.toNodes().length, 1);
});

Deno.test("addLeaf fills the leftmost blank leaf and marks it unmerged at non-blank ancestors", () => {
  const rand = prng(9);
  const t = RatchetTree.create(fakeLeaf(rand));
  for (let i = 0; i < 4; i++) t.addLeaf(fakeLeaf(rand));
  assert.equal(t.leafCount, 8);
  fakeCommit(t, 0, rand); // sets nodes 1, 3, 7
  assert.deepEqual(t.filteredDirectPath(0), [1, 3, 7]);
  assert.deepEqual(t.filteredDirectPath(4), [7]); // 9 and 11 have blank copaths
  assert.equal(t.addLeaf(fakeLeaf(rand)), 5);
  assert.equal(t.addLeaf(fakeLeaf(rand)), 6);
  assert.deepEqual(t.getParent(7)!.unmergedLeaves, [5, 6]);
  assert.deepEqual(t.resolution(7), [7, 10, 12]);
  assert.deepEqual(t.resolution(11), [8, 10, 12]);
  t.removeLeaf(1); // blanks 2, 1, 3, 7
  assert.equal(t.getParent(7), undefined);
  assert.equal(t.addLeaf(fakeLeaf(rand)), 1);
  assert.equal(t.addLeaf(fakeLeaf(rand)), 7);
  assert.equal(t.addLeaf(fakeLeaf(rand)), 8); // extends the tree
  assert.equal(t.leafCount, 16);
  t.removeLeaf(8); // the right half is blank again: truncated
  assert.equal(t.leafCount, 8);
});

Deno.test("fromNodes rejects malformed shapes", () => {
  const rand = prng(3);
  const leaf: Node = { nodeType: NodeType.leaf, leafNode: fakeLeaf(rand) };
  const parent: Node = {
    nodeType: NodeType.parent,
    parentNode: {
      encryptionKey: bytes(rand, 32),
      parentHash: new Uint8Array(),
      unmergedLeaves: [],
    },
  };
  for (
    const [nodes, field] of [
      [[], "tree"],
      [[leaf, undefined], "node[1]"],
      [[leaf, leaf, leaf], "node[1]"],
      [[parent], "node[0]"],
    ] as [(Node | undefined)[], string][]
  ) {
    assert.throws(
      () => RatchetTree.fromNodes(nodes),
      (e) =>
        e instanceof MlsError && e.code === "invalid_tree_shape" &&
        e.field === field,
    );
  }
  // Trailing blanks are implied: [leaf, parent, leaf, blank...] pads to 7.
  const t = RatchetTree.fromNodes([leaf, undefined, leaf]);
  assert.equal(t.leafCount, 2);
  assert.equal(
    RatchetTree.fromNodes([leaf, parent, leaf, undefined, leaf]).leafCount,
    4,
  );
});
