// tree-validation.json: resolutions and tree hashes of every node (RFC 9420
// §4.1.1, §7.8), parent hashes (§7.9.2) and leaf signatures (§7.3), plus
// the full join-time validation (§12.4.3.1).
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { decode } from "../../src/codec/codec.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { verifyParentHashes } from "../../src/tree/parent_hash.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { computeTreeHashes } from "../../src/tree/tree_hash.ts";
import { validateRatchetTree } from "../../src/tree/validation.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface TreeValidationVector {
  cipher_suite: number;
  tree: string;
  group_id: string;
  resolutions: number[][];
  tree_hashes: string[];
}

/** Checks one tree-validation entry. */
export async function check(v: TreeValidationVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const nodes = decode(ratchetTreeCodec, fromHex(v.tree), "ratchet_tree");
  const tree = RatchetTree.fromNodes(nodes);
  assert.equal(tree.nodeWidth, v.resolutions.length, "tree width");
  for (let x = 0; x < tree.nodeWidth; x++) {
    assert.deepEqual(tree.resolution(x), v.resolutions[x], `resolution(${x})`);
    assert.equal(tree.resolutionSize(x), v.resolutions[x].length);
  }
  const all = [...Array(tree.nodeWidth).keys()];
  const cached = await tree.nodeTreeHashes(cs, all);
  const full = await computeTreeHashes(cs, all.map((x) => tree.node(x)));
  for (let x = 0; x < tree.nodeWidth; x++) {
    assert.equal(toHex(cached[x]), v.tree_hashes[x], `tree hash ${x}`);
    assert.equal(toHex(full[x]), v.tree_hashes[x], `full tree hash ${x}`);
  }
  await verifyParentHashes(cs, tree);
  await validateRatchetTree(cs, tree, { groupId: fromHex(v.group_id) });
  // The wire form round-trips.
  assert.deepEqual(tree.toNodes(), nodes);
}
