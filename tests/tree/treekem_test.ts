// TreeKEM (RFC 9420 §7.4-§7.6): a commit that adds members in the same
// commit excludes them from its path, the Welcome's path secret, every
// member agreeing; an external joiner's commit; a tampered UpdatePath.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import { LeafNodeSource } from "../../src/messages/leaf_node.ts";
import { signLeafNode } from "../../src/tree/leaf_signature.ts";
import { PrivateTree } from "../../src/tree/private_tree.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import {
  applyUpdatePath,
  createUpdatePath,
  prepareUpdatePath,
} from "../../src/tree/treekem.ts";
import { validateRatchetTree } from "../../src/tree/validation.ts";
import { toHex } from "../../src/util/bytes.ts";

/** `b` with its last bit flipped. */
function flip(b: Uint8Array): Uint8Array {
  const c = b.slice();
  c[c.length - 1] ^= 1;
  return c;
}

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
