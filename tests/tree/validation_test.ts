// Join-time validation of a ratchet tree (RFC 9420 §12.4.3.1): trees of
// the official vectors, tampered one way at a time, are rejected with the
// rule's code, naming the node or leaf.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { decode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import {
  type Node,
  NodeType,
  ratchetTreeCodec,
} from "../../src/messages/ratchet_tree.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { validateRatchetTree } from "../../src/tree/validation.ts";
import { fromHex } from "../../src/util/bytes.ts";
import { VECTORS_DIR } from "../vectors/harness.ts";

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
