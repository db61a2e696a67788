// Ratchet tree tests beyond the vectors: randomized add/update/remove/commit
// sequences whose cached tree hash must equal a full recomputation after
// every step, with O(log n) rehashing; the O(log n) resolution index and
// key indexes against naive versions; clone isolation; join-time rejection
// of tampered trees; TreeKEM with members added in the same commit, a
// Welcome path secret and an external joiner; private-key wiping.
import assert from "node:assert/strict";
import { defaultProvider } from "../providers/mod.ts";
import type { SuiteCrypto } from "../providers/provider.ts";
import { decode, encode } from "../src/codec/codec.ts";
import { MlsError } from "../src/errors.ts";
import { groupContextCodec } from "../src/messages/group_context.ts";
import { type LeafNode, LeafNodeSource } from "../src/messages/leaf_node.ts";
import {
  type Node,
  NodeType,
  ratchetTreeCodec,
} from "../src/messages/ratchet_tree.ts";
import { signLeafNode } from "../src/tree/leaf_signature.ts";
import { PrivateTree } from "../src/tree/private_tree.ts";
import { RatchetTree } from "../src/tree/ratchet_tree.ts";
import {
  computeTreeHashes,
  leafHashInput,
  parentHashInput,
} from "../src/tree/tree_hash.ts";
import {
  applyUpdatePath,
  createUpdatePath,
  prepareUpdatePath,
} from "../src/tree/treekem.ts";
import { validateRatchetTree } from "../src/tree/validation.ts";
import { fromHex, toHex } from "../src/util/bytes.ts";
import { VECTORS_DIR } from "./vectors/harness.ts";

// ---- helpers ------------------------------------------------------------

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

function bytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

function fakeLeaf(rand: () => number): LeafNode {
  const credentials = rand() < 0.5 ? [1] : [1, 2];
  return {
    encryptionKey: bytes(rand, 32),
    signatureKey: bytes(rand, 32),
    credential: { credentialType: 1, identity: bytes(rand, 8) },
    capabilities: {
      versions: [1],
      cipherSuites: [1],
      extensions: [],
      proposals: [],
      credentials,
    },
    extensions: [],
    leafNodeSource: LeafNodeSource.keyPackage,
    lifetime: { notBefore: 0n, notAfter: 1n << 62n },
    signature: bytes(rand, 64),
  };
}

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

// A commit's effect on the public tree, with random keys (§7.5 merge).
function fakeCommit(t: RatchetTree, i: number, rand: () => number): void {
  t.blankDirectPath(i);
  for (const s of t.filteredPath(i)) {
    t.setParent(s.node, {
      encryptionKey: bytes(rand, 32),
      parentHash: bytes(rand, 32),
      unmergedLeaves: [],
    });
  }
  t.setLeaf(i, fakeLeaf(rand));
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

// ---- rejection of tampered trees -----------------------------------------

interface TreeValidationVector {
  cipher_suite: number;
  tree: string;
  group_id: string;
}
const validationVectors: TreeValidationVector[] = JSON.parse(
  Deno.readTextFileSync(
    new URL("tree-validation.json", VECTORS_DIR),
  ),
);

async function loadVector(index: number) {
  const v = validationVectors[index];
  const cs = await defaultProvider().suite(v.cipher_suite);
  const nodes = decode(ratchetTreeCodec, fromHex(v.tree), "tree");
  const groupId = fromHex(v.group_id);
  await validateRatchetTree(cs, RatchetTree.fromNodes(nodes), { groupId });
  return { cs, nodes, groupId };
}

async function assertRejected(
  index: number,
  mutate: (nodes: (Node | undefined)[]) => void,
  code: string,
  field: string,
): Promise<void> {
  const { cs, nodes, groupId } = await loadVector(index);
  mutate(nodes);
  await assert.rejects(
    validateRatchetTree(cs, RatchetTree.fromNodes(nodes), { groupId }),
    (e) => {
      assert.ok(e instanceof MlsError, String(e));
      assert.equal(e.code, code);
      assert.equal(e.field, field);
      return true;
    },
  );
}

function parentAt(nodes: (Node | undefined)[], x: number) {
  const n = nodes[x];
  assert.ok(n?.nodeType === NodeType.parent);
  return n;
}

function leafAt(nodes: (Node | undefined)[], x: number) {
  const n = nodes[x];
  assert.ok(n?.nodeType === NodeType.leaf);
  return n;
}

function flip(b: Uint8Array): Uint8Array {
  const c = b.slice();
  c[c.length - 1] ^= 1;
  return c;
}

// Vector 2: a full 8-leaf tree; vector 13: root 7 and node 11 list leaf 5
// as unmerged.
Deno.test("validation rejects a tampered parent hash, naming the node", async () => {
  await assertRejected(
    2,
    (nodes) => {
      const n = parentAt(nodes, 3);
      n.parentNode = {
        ...n.parentNode,
        parentHash: flip(n.parentNode.parentHash),
      };
    },
    "invalid_parent_hash",
    "node[3]",
  );
});

Deno.test("validation rejects a bad leaf signature, naming the leaf", async () => {
  await assertRejected(
    2,
    (nodes) => {
      const n = leafAt(nodes, 10);
      n.leafNode = { ...n.leafNode, signature: flip(n.leafNode.signature) };
    },
    "invalid_signature",
    "leaf[5]",
  );
});

Deno.test("validation rejects a duplicate HPKE key, naming the second node", async () => {
  await assertRejected(
    2,
    (nodes) => {
      const n = parentAt(nodes, 11);
      n.parentNode = {
        ...n.parentNode,
        encryptionKey: leafAt(nodes, 4).leafNode.encryptionKey,
      };
    },
    "duplicate_encryption_key",
    "node[11]",
  );
});

Deno.test("validation rejects a bad unmerged-leaf list, naming the parent", async () => {
  // Leaf 5 unmerged at the root but no longer at intermediate node 11.
  await assertRejected(
    13,
    (nodes) => {
      const n = parentAt(nodes, 11);
      n.parentNode = { ...n.parentNode, unmergedLeaves: [] };
    },
    "invalid_unmerged_leaves",
    "node[7]",
  );
  // Leaf 0 is not below node 11.
  await assertRejected(
    13,
    (nodes) => {
      const n = parentAt(nodes, 11);
      n.parentNode = { ...n.parentNode, unmergedLeaves: [0, 5] };
    },
    "invalid_unmerged_leaves",
    "node[11]",
  );
});

Deno.test("validation rejects a duplicate signature key and an unsupported credential", async () => {
  await assertRejected(
    2,
    (nodes) => {
      const n = leafAt(nodes, 6);
      n.leafNode = {
        ...n.leafNode,
        signatureKey: leafAt(nodes, 2).leafNode.signatureKey,
      };
    },
    "duplicate_signature_key",
    "leaf[3]",
  );
  await assertRejected(
    2,
    (nodes) => {
      const n = leafAt(nodes, 8);
      n.leafNode = {
        ...n.leafNode,
        capabilities: { ...n.leafNode.capabilities, credentials: [2] },
      };
    },
    "unsupported_credential",
    "leaf[4]",
  );
});

// ---- TreeKEM beyond the vectors ------------------------------------------

interface Member {
  index: number;
  priv: PrivateTree;
  sig: Uint8Array | CryptoKey;
}

async function realLeaf(cs: SuiteCrypto) {
  const hpke = await cs.hpkeGenerateKeyPair();
  const sig = await cs.signatureGenerateKeyPair();
  const leaf = await signLeafNode(cs, sig.privateKey, {
    encryptionKey: hpke.publicKey,
    signatureKey: sig.publicKey,
    credential: {
      credentialType: 1,
      identity: cs.randomBytes(8),
    },
    capabilities: {
      versions: [1],
      cipherSuites: [cs.id],
      extensions: [],
      proposals: [],
      credentials: [1],
    },
    extensions: [],
    leafNodeSource: LeafNodeSource.keyPackage,
    lifetime: { notBefore: 0n, notAfter: 1n << 62n },
  });
  return { leaf, hpke, sig: sig.privateKey };
}

const groupId = new TextEncoder().encode("group");
const ctxFor = (cs: SuiteCrypto) => (treeHash: Uint8Array) =>
  encode(groupContextCodec, {
    version: 1,
    cipherSuite: cs.id,
    groupId,
    epoch: 5n,
    treeHash,
    confirmedTranscriptHash: new Uint8Array(32),
    extensions: [],
  });

Deno.test("TreeKEM: commit adding members excludes them, Welcome path secret, every member agrees", async () => {
  const cs = await defaultProvider().suite(1);
  const first = await realLeaf(cs);
  let tree = RatchetTree.create(first.leaf);
  const ms: Member[] = [{
    index: 0,
    priv: new PrivateTree(0, first.hpke.privateKey, first.hpke.publicKey),
    sig: first.sig,
  }];
  for (let i = 1; i < 9; i++) {
    const m = await realLeaf(cs);
    const index = tree.addLeaf(m.leaf);
    ms.push({
      index,
      priv: new PrivateTree(index, m.hpke.privateKey, m.hpke.publicKey),
      sig: m.sig,
    });
  }
  // Everyone processes commits by members 3 and 6, then 0 adds two members
  // and commits with a path, excluding them.
  for (const committer of [3, 6, 0]) {
    const added: Member[] = [];
    const next = tree.clone();
    if (committer === 0) {
      for (let k = 0; k < 2; k++) {
        const m = await realLeaf(cs);
        const index = next.addLeaf(m.leaf);
        added.push({
          index,
          priv: new PrivateTree(index, m.hpke.privateKey, m.hpke.publicKey),
          sig: m.sig,
        });
      }
    }
    const excludedLeaves = added.map((m) => m.index);
    const c = ms[committer];
    const out = await createUpdatePath(cs, next, c.index, {
      groupId,
      signaturePrivateKey: c.sig,
      excludedLeaves,
      groupContext: ctxFor(cs),
    });
    for (const m of ms) {
      if (m === c) continue;
      const r = await applyUpdatePath(
        cs,
        next,
        m.priv,
        c.index,
        out.updatePath,
        {
          groupId,
          groupContext: ctxFor(cs),
          excludedLeaves,
        },
      );
      assert.equal(toHex(r.commitSecret), toHex(out.commitSecret));
      assert.equal(toHex(r.treeHash), toHex(out.treeHash));
      r.privateTree.assertConsistent(r.tree);
      m.priv = r.privateTree;
    }
    for (const m of added) {
      const secret = out.pathSecretFor(m.index)!;
      const lca = [...out.pathSecrets].find(([, s]) => s === secret)![0];
      await m.priv.setPathSecretsFrom(cs, out.tree, lca, secret);
      m.priv.assertConsistent(out.tree);
      assert.ok(m.priv.nodes().includes(out.tree.root));
      ms.push(m);
    }
    c.priv = out.privateTree;
    tree = out.tree;
    await validateRatchetTree(cs, tree, { groupId });
  }
  // The added members' ciphertexts were left out of the path.
  assert.equal(ms.length, 11);
});

Deno.test("TreeKEM: an external joiner commits from the leftmost blank leaf", async () => {
  const cs = await defaultProvider().suite(1);
  const a = await realLeaf(cs);
  const tree = RatchetTree.create(a.leaf);
  const b = await realLeaf(cs);
  tree.addLeaf(b.leaf);
  const privA = new PrivateTree(0, a.hpke.privateKey, a.hpke.publicKey);
  const joiner = await realLeaf(cs);
  const leafIndex = tree.leftmostBlankLeaf();
  assert.equal(leafIndex, 2);
  const out = await createUpdatePath(cs, tree, leafIndex, {
    groupId,
    signaturePrivateKey: joiner.sig,
    leaf: joiner.leaf,
    groupContext: ctxFor(cs),
  });
  const r = await applyUpdatePath(cs, tree, privA, leafIndex, out.updatePath, {
    groupId,
    groupContext: ctxFor(cs),
  });
  assert.equal(toHex(r.commitSecret), toHex(out.commitSecret));
  assert.equal(r.tree.leafCount, 4);
  await validateRatchetTree(cs, r.tree, { groupId });
});

Deno.test("TreeKEM: a tampered UpdatePath is rejected", async () => {
  const cs = await defaultProvider().suite(1);
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => realLeaf(cs)));
  const tree = RatchetTree.create(a.leaf);
  tree.addLeaf(b.leaf);
  tree.addLeaf(c.leaf);
  const privB = new PrivateTree(1, b.hpke.privateKey, b.hpke.publicKey);
  const prepared = await prepareUpdatePath(cs, tree, 0, {
    groupId,
    signaturePrivateKey: a.sig,
  });
  const path = await prepared.encrypt(ctxFor(cs)(prepared.treeHash));
  const opts = { groupId, groupContext: ctxFor(cs) };
  const reject = (p: typeof path, code: string) =>
    assert.rejects(
      applyUpdatePath(cs, tree, privB, 0, p, opts),
      (e) => e instanceof MlsError && e.code === code,
    );
  // A replaced node key breaks the parent-hash chain.
  await reject({
    ...path,
    nodes: [{
      ...path.nodes[0],
      encryptionKey: flip(path.nodes[0].encryptionKey),
    }, path.nodes[1]],
  }, "invalid_parent_hash");
  await reject({ ...path, nodes: path.nodes.slice(1) }, "invalid_update_path");
  await reject({
    ...path,
    leafNode: { ...path.leafNode, signature: flip(path.leafNode.signature) },
  }, "invalid_signature");
  await reject({
    ...path,
    nodes: [path.nodes[0], { ...path.nodes[1], encryptedPathSecret: [] }],
  }, "invalid_update_path");
  // The wrong context fails decryption.
  await assert.rejects(
    applyUpdatePath(cs, tree, privB, 0, path, {
      groupId,
      groupContext: () => new Uint8Array(3),
    }),
    (e) => e instanceof MlsError && e.code === "crypto_failure",
  );
});

Deno.test("PrivateTree wipes keys whose node is blanked or replaced", () => {
  const rand = prng(11);
  const tree = RatchetTree.create(fakeLeaf(rand));
  for (let i = 0; i < 3; i++) tree.addLeaf(fakeLeaf(rand));
  fakeCommit(tree, 0, rand);
  const p = new PrivateTree(0, bytes(rand, 32), tree.getLeaf(0)!.encryptionKey);
  p.set(1, bytes(rand, 32), tree.encryptionKey(1)!);
  p.set(3, bytes(rand, 32), tree.encryptionKey(3)!);
  const copy = p.clone();
  const k1 = p.privateKey(1)!, k3 = p.privateKey(3)!;
  const t2 = tree.clone();
  t2.updateLeaf(1, fakeLeaf(rand)); // blanks 1 and 3
  p.sync(t2);
  assert.deepEqual(p.nodes(), [0]);
  assert.ok(k1.every((b) => b === 0) && k3.every((b) => b === 0));
  assert.deepEqual(copy.nodes(), [0, 1, 3]); // the clone kept its own bytes
  assert.ok(copy.privateKey(1)!.some((b) => b !== 0));
  copy.assertConsistent(tree);
  assert.throws(() => copy.assertConsistent(t2), MlsError);
});
