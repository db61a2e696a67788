// Fake ratchet trees for tests of the tree's bookkeeping: leaves with
// random keys and signatures (never verified), a seeded PRNG, and a
// commit's effect on the public tree.
import type { LeafNode } from "../../src/messages/leaf_node.ts";
import { LeafNodeSource } from "../../src/messages/leaf_node.ts";
import type { RatchetTree } from "../../src/tree/ratchet_tree.ts";

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` bytes from `rand`. */
export function bytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** A leaf with random keys and signature, credential types 1 (and 2). */
export function fakeLeaf(rand: () => number): LeafNode {
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

// A commit's effect on the public tree, with random keys (§7.5 merge).
export function fakeCommit(
  t: RatchetTree,
  i: number,
  rand: () => number,
): void {
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
