// `deno bench --allow-read --allow-env bench/tree_bench.ts`: creating and
// applying an UpdatePath (RFC 9420 §7.4-7.6) in groups of 16 to 4,096
// members who were all added without paths (every parent node blank), so
// the committer encrypts to n - 1 leaves while a receiver decrypts one
// ciphertext and derives O(log n) keys. Suite 1 (X25519, Ed25519).
import { defaultProvider } from "../providers/mod.ts";
import { encode } from "../src/codec/codec.ts";
import { groupContextCodec } from "../src/messages/group_context.ts";
import { type LeafNode, LeafNodeSource } from "../src/messages/leaf_node.ts";
import { signLeafNode } from "../src/tree/leaf_signature.ts";
import { PrivateTree } from "../src/tree/private_tree.ts";
import { RatchetTree } from "../src/tree/ratchet_tree.ts";
import { applyUpdatePath, createUpdatePath } from "../src/tree/treekem.ts";

const cs = await defaultProvider().suite(1);
const groupId = new TextEncoder().encode("bench group");
const groupContext = (treeHash: Uint8Array) =>
  encode(groupContextCodec, {
    version: 1,
    cipherSuite: 1,
    groupId,
    epoch: 1n,
    treeHash,
    confirmedTranscriptHash: new Uint8Array(32),
    extensions: [],
  });
const capabilities = {
  versions: [1],
  cipherSuites: [1],
  extensions: [],
  proposals: [],
  credentials: [1],
};

// Leaves with real HPKE keys; only the committer's signature is real (the
// receiver validates the committer's new leaf only).
function leaf(encryptionKey: Uint8Array, signatureKey: Uint8Array): LeafNode {
  return {
    encryptionKey,
    signatureKey,
    credential: { credentialType: 1, identity: cs.randomBytes(16) },
    capabilities,
    extensions: [],
    leafNodeSource: LeafNodeSource.keyPackage,
    lifetime: { notBefore: 0n, notAfter: 1n << 62n },
    signature: cs.randomBytes(64),
  };
}

async function setup(n: number) {
  const sig = await cs.signatureGenerateKeyPair();
  const hpke = await Promise.all(
    Array.from({ length: n }, () => cs.hpkeGenerateKeyPair()),
  );
  const first = await signLeafNode(
    cs,
    sig.privateKey,
    leaf(hpke[0].publicKey, sig.publicKey),
  );
  const tree = RatchetTree.create(first);
  for (let i = 1; i < n; i++) {
    tree.addLeaf(leaf(hpke[i].publicKey, cs.randomBytes(32)));
  }
  // Warm the per-tree caches, as a long-lived group has them.
  await tree.treeHash(cs);
  tree.findNodeByEncryptionKey(hpke[0].publicKey);
  tree.leavesNotSupportingCredential(1);
  const receiver = new PrivateTree(
    n - 1,
    hpke[n - 1].privateKey,
    hpke[n - 1].publicKey,
  );
  const options = {
    groupId,
    signaturePrivateKey: sig.privateKey,
    groupContext,
  };
  const created = await createUpdatePath(cs, tree, 0, options);
  return { tree, receiver, options, path: created.updatePath };
}

for (const n of [16, 256, 1024, 4096]) {
  const s = await setup(n);
  Deno.bench(
    `create UpdatePath, ${n} leaves`,
    { group: "create" },
    async () => {
      await createUpdatePath(cs, s.tree, 0, s.options);
    },
  );
  Deno.bench(`apply UpdatePath, ${n} leaves`, { group: "apply" }, async () => {
    await applyUpdatePath(cs, s.tree, s.receiver, 0, s.path, {
      groupId,
      groupContext,
    });
  });
}
