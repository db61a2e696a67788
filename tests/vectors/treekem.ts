// treekem.json: private state from path secrets (RFC 9420 §7.4), processing
// each UpdatePath as every other member (§7.5, §12.4.2: parent hashes, path
// secrets, commit secret, tree hash after merge), and the reverse: an
// UpdatePath of our own must be processed by every other member to the same
// commit secret.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { decode, encode } from "../../src/codec/codec.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { updatePathCodec } from "../../src/messages/update_path.ts";
import { PrivateTree } from "../../src/tree/private_tree.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import {
  applyUpdatePath,
  createUpdatePath,
  decryptUpdatePath,
  mergeUpdatePath,
} from "../../src/tree/treekem.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface TreeKemVector {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  confirmed_transcript_hash: string;
  ratchet_tree: string;
  leaves_private: {
    index: number;
    encryption_priv: string;
    signature_priv: string;
    path_secrets: { node: number; path_secret: string }[];
  }[];
  update_paths: {
    sender: number;
    update_path: string;
    path_secrets: (string | null)[];
    commit_secret: string;
    tree_hash_after: string;
  }[];
}

/** Checks one treekem entry. */
export async function check(v: TreeKemVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const groupId = fromHex(v.group_id);
  const tree = RatchetTree.fromNodes(
    decode(ratchetTreeCodec, fromHex(v.ratchet_tree), "ratchet_tree"),
  );
  const groupContext = (treeHash: Uint8Array) =>
    encode(groupContextCodec, {
      version: 1,
      cipherSuite: v.cipher_suite,
      groupId,
      epoch: BigInt(v.epoch),
      treeHash,
      confirmedTranscriptHash: fromHex(v.confirmed_transcript_hash),
      extensions: [],
    });

  const privs = new Map<number, PrivateTree>();
  const sigKeys = new Map<number, string>();
  for (const lp of v.leaves_private) {
    const p = await PrivateTree.fromLeafKey(
      cs,
      lp.index,
      fromHex(lp.encryption_priv),
    );
    for (const ps of lp.path_secrets) {
      await p.setPathSecret(cs, ps.node, fromHex(ps.path_secret));
    }
    p.assertConsistent(tree);
    privs.set(lp.index, p);
    sigKeys.set(lp.index, lp.signature_priv);
  }
  const others = (i: number) =>
    [...tree.leaves()].map(([j]) => j).filter((j) => j !== i);

  for (const up of v.update_paths) {
    const i = up.sender;
    const path = decode(
      updatePathCodec,
      fromHex(up.update_path),
      "update_path",
    );
    const merged = await mergeUpdatePath(cs, tree, i, path, { groupId });
    assert.equal(toHex(merged.treeHash), up.tree_hash_after, "tree hash after");
    const ctx = groupContext(merged.treeHash);
    assert.ok(others(i).length > 0, "someone decrypts");
    await Promise.all(
      others(i).map(async (j) => {
        const priv = privs.get(j);
        assert.ok(priv, `private state of leaf ${j}`);
        const out = await decryptUpdatePath(
          cs,
          merged.tree,
          priv,
          i,
          path,
          ctx,
        );
        assert.equal(
          toHex(out.pathSecret),
          up.path_secrets[j],
          `path secret ${j}`,
        );
        assert.equal(toHex(out.commitSecret), up.commit_secret, `commit ${j}`);
        out.privateTree.assertConsistent(merged.tree);
      }),
    );

    // Our own UpdatePath from the same sender, processed by everyone else.
    const mine = await createUpdatePath(cs, tree, i, {
      groupId,
      signaturePrivateKey: await cs.signatureImportPrivateKey(
        fromHex(sigKeys.get(i)!),
      ),
      groupContext,
    });
    mine.privateTree.assertConsistent(mine.tree);
    const wire = decode(
      updatePathCodec,
      encode(updatePathCodec, mine.updatePath),
      "update_path",
    );
    await Promise.all(
      others(i).map(async (j) => {
        const out = await applyUpdatePath(cs, tree, privs.get(j)!, i, wire, {
          groupId,
          groupContext,
        });
        assert.equal(toHex(out.treeHash), toHex(mine.treeHash), `tree ${j}`);
        assert.equal(
          toHex(out.commitSecret),
          toHex(mine.commitSecret),
          `new commit secret ${j}`,
        );
        assert.equal(
          toHex(out.pathSecret),
          toHex(mine.pathSecrets.get(out.node)!),
          `new path secret ${j}`,
        );
      }),
    );
  }
}
