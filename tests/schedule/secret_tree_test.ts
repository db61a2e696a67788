// Secret tree (RFC 9420 §9): out-of-order delivery, the deletion schedule,
// limits and atomicity; plus small key-schedule properties.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { decode, encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import {
  deriveEpochSecrets,
  deriveWelcomeSecret,
} from "../../src/schedule/key_schedule.ts";
import { derivePskSecret } from "../../src/schedule/psk.ts";
import {
  type RatchetKey,
  SecretTree,
  type SecretTreeOptions,
} from "../../src/schedule/secret_tree.ts";
import { secretTreeStateCodec } from "../../src/group/stored/secret_tree.ts";
import {
  confirmationTag,
  verifyConfirmationTag,
} from "../../src/schedule/confirmation_tag.ts";
import { toHex, utf8Encode } from "../../src/util/bytes.ts";

const cs = await defaultProvider().suite(1);

function tree(leaves = 4, options?: SecretTreeOptions): SecretTree {
  return SecretTree.create(cs, new Uint8Array(32).fill(7), leaves, options);
}

/** Keys of generations 0..n-1 of one ratchet, consumed in order. */
async function reference(leaf: number, n: number): Promise<RatchetKey[]> {
  const t = tree();
  const out: RatchetKey[] = [];
  for (let g = 0; g < n; g++) out.push(await t.nextKey(leaf, "application"));
  return out;
}

function code(code: string): (e: unknown) => boolean {
  return (e) => e instanceof MlsError && e.code === code;
}

Deno.test("secret tree: out-of-order generations within the window", async () => {
  const ref = await reference(1, 8);
  const t = tree();
  for (const g of [5, 2, 0, 7, 4, 1, 3, 6]) {
    const k = await t.consumeKey(1, "application", g);
    assert.equal(k.generation, g);
    assert.equal(toHex(k.key), toHex(ref[g].key), `key ${g}`);
    assert.equal(toHex(k.nonce), toHex(ref[g].nonce), `nonce ${g}`);
  }
  const r = t.state.leaves.get(1)!.application;
  assert.equal(r.generation, 8);
  assert.equal(r.skipped.size, 0);
});

Deno.test("secret tree: a consumed generation is generation_too_old", async () => {
  const t = tree();
  await t.consumeKey(0, "handshake", 0);
  await assert.rejects(
    t.consumeKey(0, "handshake", 0),
    code("generation_too_old"),
  );
  // a skipped generation, consumed out of order, cannot be consumed again
  await t.consumeKey(0, "handshake", 3);
  await t.consumeKey(0, "handshake", 1);
  await assert.rejects(
    t.consumeKey(0, "handshake", 1),
    code("generation_too_old"),
  );
  await t.consumeKey(0, "handshake", 2);
  // the other ratchet of the leaf is independent
  await t.consumeKey(0, "application", 0);
});

Deno.test("secret tree: beyond the window is generation_too_far", async () => {
  const t = tree(4, { maxForwardGeneration: 10 });
  await assert.rejects(
    t.consumeKey(2, "application", 11),
    code("generation_too_far"),
  );
  await t.consumeKey(2, "application", 10);
  await assert.rejects(
    t.consumeKey(2, "application", 22),
    code("generation_too_far"),
  );
  await t.consumeKey(2, "application", 21);
  // default window: 1000
  const d = tree();
  await assert.rejects(
    d.consumeKey(0, "application", 1001),
    code("generation_too_far"),
  );
});

Deno.test("secret tree: consumed keys are gone from the state", async () => {
  const t = tree();
  const k3 = await t.consumeKey(3, "application", 3);
  const r = t.state.leaves.get(3)!.application;
  assert.deepEqual([...r.skipped.keys()], [0, 1, 2]);
  assert.equal(r.generation, 4);
  const stored = r.skipped.get(1)!;
  const k1 = await t.consumeKey(3, "application", 1);
  assert.equal(k1.key, stored.key); // handed over, no longer held
  assert.deepEqual([...r.skipped.keys()], [0, 2]);
  for (const kn of r.skipped.values()) {
    assert.notEqual(toHex(kn.key), toHex(k3.key));
  }
  // withKey lends the key, then wipes it once consumed
  let lent: Uint8Array | undefined;
  await t.withKey(3, "application", 2, (key) => {
    lent = key;
  });
  assert.ok(lent!.every((b) => b === 0));
  assert.deepEqual([...r.skipped.keys()], [0]);
});

Deno.test("secret tree: the path is expanded lazily and deleted", async () => {
  const t = tree(8);
  assert.deepEqual([...t.state.nodes.keys()], [7]);
  const root = t.state.nodes.get(7)!;
  await t.nextKey(0, "handshake");
  // root 7, node 3 and node 1 expanded and deleted; leaf 0 turned into its
  // ratchets; their siblings 11, 5 and 2 remain
  assert.deepEqual([...t.state.nodes.keys()].sort((a, b) => a - b), [
    2,
    5,
    11,
  ]);
  assert.ok(root.every((b) => b === 0), "root secret wiped");
  assert.deepEqual([...t.state.leaves.keys()], [0]);
  await t.nextKey(1, "handshake");
  assert.deepEqual([...t.state.nodes.keys()].sort((a, b) => a - b), [5, 11]);
});

Deno.test("secret tree: a failed use leaves the ratchet unchanged", async () => {
  const ref = await reference(0, 4);
  const t = tree();
  const fail = () => Promise.reject(new Error("bad tag"));
  await assert.rejects(t.withKey(0, "application", 3, fail), /bad tag/);
  const r = t.state.leaves.get(0)!.application;
  assert.equal(r.generation, 0);
  assert.equal(r.skipped.size, 0);
  const got = await t.withKey(0, "application", 3, (k) => toHex(k));
  assert.equal(got, toHex(ref[3].key));
  // a skipped key survives a failed use too
  await assert.rejects(t.withKey(0, "application", 1, fail), /bad tag/);
  const again = await t.withKey(0, "application", 1, (k) => toHex(k));
  assert.equal(again, toHex(ref[1].key));
});

Deno.test("secret tree: skipped keys are bounded, oldest dropped", async () => {
  const t = tree(4, { maxSkippedKeys: 2 });
  await t.consumeKey(0, "application", 5);
  const r = t.state.leaves.get(0)!.application;
  assert.deepEqual([...r.skipped.keys()], [3, 4]);
  await assert.rejects(
    t.consumeKey(0, "application", 2),
    code("generation_too_old"),
  );
  await t.consumeKey(0, "application", 7);
  assert.deepEqual([...r.skipped.keys()], [4, 6]);
  await t.consumeKey(0, "application", 4);
});

Deno.test("secret tree: nextKey hands out each generation once", async () => {
  const t = tree();
  const ks = await Promise.all(
    Array.from({ length: 5 }, () => t.nextKey(2, "handshake")),
  );
  assert.deepEqual(ks.map((k) => k.generation), [0, 1, 2, 3, 4]);
  assert.equal(new Set(ks.map((k) => toHex(k.key))).size, 5);
});

Deno.test("secret tree: clones are independent", async () => {
  const ref = await reference(0, 3);
  const t = tree();
  await t.consumeKey(0, "application", 2);
  const c = t.clone();
  const k = await c.consumeKey(0, "application", 1);
  assert.equal(toHex(k.key), toHex(ref[1].key));
  c.wipe();
  const k2 = await t.consumeKey(0, "application", 1);
  assert.equal(toHex(k2.key), toHex(ref[1].key));
});

Deno.test("secret tree: state encodes and decodes", async () => {
  const t = tree(8);
  await t.consumeKey(5, "application", 3);
  await t.nextKey(2, "handshake");
  const bytes = encode(secretTreeStateCodec, t.state);
  const back = SecretTree.fromState(
    cs,
    decode(secretTreeStateCodec, bytes, "SecretTree"),
  );
  assert.equal(toHex(encode(secretTreeStateCodec, back.state)), toHex(bytes));
  const [a, b] = await Promise.all([
    t.consumeKey(5, "application", 1),
    back.consumeKey(5, "application", 1),
  ]);
  assert.equal(toHex(a.key), toHex(b.key));
});

Deno.test("secret tree: leaf outside the tree", async () => {
  const t = tree(4);
  await assert.rejects(t.nextKey(4, "handshake"), code("invalid_leaf_index"));
  await assert.rejects(t.nextKey(-1, "handshake"), code("invalid_leaf_index"));
});

Deno.test("key schedule: defaults and exporter labels", async () => {
  const nh = cs.hashLength;
  const zero = await derivePskSecret(cs, []);
  assert.deepEqual(zero, new Uint8Array(nh));
  const input = {
    initSecret: new Uint8Array(nh).fill(1),
    commitSecret: new Uint8Array(nh).fill(2),
    groupContext: new Uint8Array([1, 2, 3]),
  };
  const a = await deriveEpochSecrets(cs, input);
  const b = await deriveEpochSecrets(cs, { ...input, pskSecret: zero });
  assert.equal(toHex(a.epochAuthenticator), toHex(b.epochAuthenticator));
  const w = await deriveWelcomeSecret(cs, a.joinerSecret);
  assert.equal(toHex(w), toHex(a.welcomeSecret));
  const ctx = new Uint8Array([9]);
  const x = await mlsExporter(cs, a.exporterSecret, "label", ctx, 42);
  const y = await mlsExporter(
    cs,
    a.exporterSecret,
    utf8Encode("label"),
    ctx,
    42,
  );
  assert.equal(x.length, 42);
  assert.equal(toHex(x), toHex(y));
});

Deno.test("transcript: confirmation tag verifies, a changed tag does not", async () => {
  const key = new Uint8Array(32).fill(3);
  const confirmed = new Uint8Array(32).fill(4);
  const tag = await confirmationTag(cs, key, confirmed);
  assert.ok(await verifyConfirmationTag(cs, key, confirmed, tag));
  const bad = tag.slice();
  bad[bad.length - 1] ^= 1;
  assert.equal(await verifyConfirmationTag(cs, key, confirmed, bad), false);
  assert.equal(
    await verifyConfirmationTag(cs, key, confirmed, tag.subarray(1)),
    false,
  );
});
