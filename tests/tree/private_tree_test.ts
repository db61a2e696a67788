// The private side of the tree: keys whose node is blanked or replaced
// are wiped, and clones keep their own bytes.
import assert from "node:assert/strict";
import { MlsError } from "../../src/errors.ts";
import { PrivateTree } from "../../src/tree/private_tree.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { bytes, fakeCommit, fakeLeaf, prng } from "./fake_tree.ts";

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
