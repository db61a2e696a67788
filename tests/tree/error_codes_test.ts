// Error codes of the tree layer that no other test asserted by name
// (issue 13, tests/errors_test.ts): a member that holds no key for the
// part of the tree a path is encrypted to, and a private tree that does not
// match the public one.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { CredentialType } from "../../src/messages/credential.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import { LeafNodeSource } from "../../src/messages/leaf_node.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { signLeafNode } from "../../src/tree/leaf_signature.ts";
import { PrivateTree } from "../../src/tree/private_tree.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { applyUpdatePath, createUpdatePath } from "../../src/tree/treekem.ts";
import { toHex } from "../../src/util/bytes.ts";

const groupId = new TextEncoder().encode("group");

/** A signed key-package leaf with its HPKE and signature keys. */
async function member(cs: SuiteCrypto) {
  const hpke = await cs.hpkeGenerateKeyPair();
  const sig = await cs.signatureGenerateKeyPair();
  const leaf = await signLeafNode(cs, sig.privateKey, {
    encryptionKey: hpke.publicKey,
    signatureKey: sig.publicKey,
    credential: {
      credentialType: CredentialType.basic,
      identity: cs.randomBytes(8),
    },
    capabilities: {
      versions: [ProtocolVersion.mls10],
      cipherSuites: [cs.id],
      extensions: [],
      proposals: [],
      credentials: [CredentialType.basic],
    },
    extensions: [],
    leafNodeSource: LeafNodeSource.keyPackage,
    lifetime: { notBefore: 0n, notAfter: 1n << 62n },
  });
  return { leaf, hpke, sig: sig.privateKey };
}

/** The provisional GroupContext a path is encrypted under. */
const contextFor = (cs: SuiteCrypto) => (treeHash: Uint8Array) =>
  encode(groupContextCodec, {
    version: ProtocolVersion.mls10,
    cipherSuite: cs.id,
    groupId,
    epoch: 7n,
    treeHash,
    confirmedTranscriptHash: new Uint8Array(cs.hashLength),
    extensions: [],
  });

function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(
    p,
    (e) => e instanceof MlsError && e.code === code,
  );
}

Deno.test("TreeKEM: a member with no key for the copath node a path is encrypted to gets no_decryption_key (§7.6)", async () => {
  const cs = await defaultProvider().suite(1);
  const [a, b, c, d] = await Promise.all(
    [0, 1, 2, 3].map(() => member(cs)),
  );
  const tree = RatchetTree.create(a.leaf);
  for (const m of [b, c, d]) tree.addLeaf(m.leaf);
  const opts = { groupId, groupContext: contextFor(cs) };
  // Alice (leaf 0) commits: parent node 1 (over Alice and Bob) and the
  // root get keys; Bob learns them from her path.
  const first = await createUpdatePath(cs, tree, 0, {
    ...opts,
    signaturePrivateKey: a.sig,
  });
  const bobBefore = new PrivateTree(1, b.hpke.privateKey, b.hpke.publicKey);
  const bob = await applyUpdatePath(
    cs,
    tree,
    bobBefore,
    0,
    first.updatePath,
    opts,
  );
  // Dave (leaf 3) commits next: for Bob, the ciphertext at the root is
  // for node 1's resolution, which is node 1 alone.
  const second = await createUpdatePath(cs, first.tree, 3, {
    ...opts,
    signaturePrivateKey: d.sig,
  });
  const ok = await applyUpdatePath(
    cs,
    first.tree,
    bob.privateTree,
    3,
    second.updatePath,
    opts,
  );
  assert.equal(toHex(ok.commitSecret), toHex(second.commitSecret));
  // A Bob that holds only his leaf key (as a tree showing him a parent
  // node he never got, without listing him as unmerged, would leave him)
  // has no key to decrypt with.
  await rejectsCode(
    applyUpdatePath(cs, first.tree, bobBefore, 3, second.updatePath, opts),
    "no_decryption_key",
  );
});

Deno.test("PrivateTree: keys that do not match the tree are inconsistent_private_key", async () => {
  const cs = await defaultProvider().suite(1);
  const [a, b, other] = await Promise.all([0, 1, 2].map(() => member(cs)));
  const tree = RatchetTree.create(a.leaf);
  tree.addLeaf(b.leaf);
  const priv = new PrivateTree(1, b.hpke.privateKey, b.hpke.publicKey);
  priv.assertConsistent(tree);
  const replaced = tree.clone();
  replaced.updateLeaf(1, other.leaf);
  assert.throws(
    () => priv.assertConsistent(replaced),
    (e) => e instanceof MlsError && e.code === "inconsistent_private_key",
  );
});
