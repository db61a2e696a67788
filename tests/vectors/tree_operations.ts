// tree-operations.json: applying an Add, Update or Remove proposal to a
// ratchet tree (RFC 9420 §7.7, §12.1.1-12.1.3): the tree hash before, the
// serialized tree after (extension, truncation, unmerged leaves), and the
// tree hash after (§7.8).
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { decode, encode } from "../../src/codec/codec.ts";
import { proposalCodec, ProposalType } from "../../src/messages/proposal.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { computeTreeHashes } from "../../src/tree/tree_hash.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface TreeOperationsVector {
  cipher_suite: number;
  tree_before: string;
  proposal: string;
  proposal_sender: number;
  tree_hash_before: string;
  tree_after: string;
  tree_hash_after: string;
}

/** Checks one tree-operations entry. */
export async function check(v: TreeOperationsVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const before = RatchetTree.fromNodes(
    decode(ratchetTreeCodec, fromHex(v.tree_before), "tree_before"),
  );
  assert.equal(toHex(await before.treeHash(cs)), v.tree_hash_before);

  const tree = before.clone();
  const p = decode(proposalCodec, fromHex(v.proposal), "proposal");
  switch (p.proposalType) {
    case ProposalType.add:
      tree.addLeaf(p.keyPackage.leafNode);
      break;
    case ProposalType.update:
      tree.updateLeaf(v.proposal_sender, p.leafNode);
      break;
    case ProposalType.remove:
      tree.removeLeaf(p.removed);
      break;
    default:
      throw new Error(`unexpected proposal type ${p.proposalType}`);
  }
  assert.equal(toHex(encode(ratchetTreeCodec, tree.toNodes())), v.tree_after);
  assert.equal(toHex(await tree.treeHash(cs)), v.tree_hash_after);
  const all = [...Array(tree.nodeWidth).keys()].map((x) => tree.node(x));
  const full = await computeTreeHashes(cs, all);
  assert.equal(toHex(full[tree.root]), v.tree_hash_after, "full recompute");
  // The clone left the original untouched.
  assert.equal(toHex(await before.treeHash(cs)), v.tree_hash_before);
  assert.equal(
    toHex(encode(ratchetTreeCodec, before.toNodes())),
    v.tree_before,
  );
}
