// The storage keys and records of the Web API (src/api/records.ts): every
// key a client's records use belongs to that client and to no other (what
// MLS.deleteIdentity deletes), delta keys parse back to what built them,
// and the tree record decodes exactly what it encodes, nothing more.

import assert from "node:assert/strict";
import { MlsError } from "../../src/errors.ts";
import {
  belongsToClient,
  decodeTreeDelta,
  decodeTreeRecord,
  encodeTreeDelta,
  encodeTreeRecord,
  groupKey,
  headKey,
  identityKey,
  identityRecord,
  keyPackageKey,
  keyPackageRecord,
  parseRatchetDeltaKey,
  pendingKey,
  type PendingRecord,
  pendingRecord,
  ratchetDeltaKey,
  ratchetsKey,
  ratchetsPrefix,
  signerKey,
  treeDeltaGen,
  treeDeltaKey,
  treeKey,
  treePrefix,
} from "../../src/api/records.ts";

const G = "0a1b";
const C = "c0ffee";
const OTHER = "beef";

function keysOf(c: string): string[] {
  return [
    identityKey(c),
    signerKey(c),
    keyPackageKey(c, "00ff"),
    groupKey(G, c),
    pendingKey(G, c),
    headKey(G, c),
    ratchetsKey(G, c),
    ratchetDeltaKey(ratchetsPrefix(G, c), {
      gen: 3,
      epoch: 7n,
      kind: "l",
      index: 12,
    }),
    ratchetDeltaKey(ratchetsPrefix(G, c), {
      gen: 3,
      epoch: 7n,
      kind: "n",
      index: 5,
    }),
    treeKey(G, c),
    treeDeltaKey(G, c, 2, 9),
    `delivery/cursor/${c}`,
  ];
}

Deno.test("records: every key of a client's records belongs to it alone", () => {
  for (const k of keysOf(C)) {
    assert.ok(belongsToClient(k, C), k);
    assert.ok(!belongsToClient(k, OTHER), k);
  }
  // A group id equal to another client's id does not make it theirs.
  assert.ok(!belongsToClient(groupKey(OTHER, C), OTHER));
  assert.ok(!belongsToClient(treeDeltaKey(OTHER, C, 1, 1), OTHER));
});

Deno.test("records: delta keys parse back to what built them", () => {
  const prefix = ratchetsPrefix(G, C);
  const name = { gen: 4294967295, epoch: 2n ** 64n - 1n, kind: "n", index: 0 };
  assert.deepEqual(
    parseRatchetDeltaKey(prefix, ratchetDeltaKey(prefix, name as never)),
    name,
  );
  for (
    const bad of [
      `${prefix}1/2/x3`,
      `${prefix}01/2/l3`,
      `${prefix}4294967296/2/l3`,
      `${prefix}1/18446744073709551616/l3`,
      `${ratchetsPrefix(G, OTHER)}1/2/l3`,
    ]
  ) {
    assert.throws(
      () => parseRatchetDeltaKey(prefix, bad),
      (e) =>
        e instanceof MlsError && e.code === "invalid_value" &&
        e.field === "RatchetDelta.key",
      bad,
    );
  }
  const tp = treePrefix(G, C);
  assert.equal(treeDeltaGen(tp, treeDeltaKey(G, C, 6, 2)), 6);
  assert.ok(Number.isNaN(treeDeltaGen(tp, `${tp}6`)));
  assert.ok(Number.isNaN(treeDeltaGen(tp, treeDeltaKey(G, OTHER, 6, 2))));
});

Deno.test("records: a tree record decodes what it encodes, and nothing else", () => {
  const rec = {
    gen: 77,
    base: {
      tree: [undefined],
      hashes: [{ node: 15, hash: new Uint8Array(32).fill(4) }],
    },
  };
  const bytes = encodeTreeRecord(rec);
  assert.equal(bytes[0], 1);
  assert.deepEqual(decodeTreeRecord(bytes), rec);
  const fails = (b: Uint8Array, code: string, field: string) =>
    assert.throws(
      () => decodeTreeRecord(b),
      (e) =>
        e instanceof MlsError && e.code === code && e.field?.startsWith(field),
      `${code} ${field}`,
    );
  fails(new Uint8Array([...bytes, 0]), "trailing_bytes", "TreeRecord");
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(
      () => decodeTreeRecord(bytes.subarray(0, n)),
      (e) => e instanceof MlsError && e.code === "truncated" && !!e.field,
    );
  }
  fails(
    new Uint8Array([2, ...bytes.subarray(1)]),
    "unsupported_state_version",
    "TreeRecord.version",
  );
  // Hash entries are stored in ascending node order, each node once.
  const h = new Uint8Array(32);
  for (const nodes of [[15, 15], [47, 15]]) {
    const b = encodeTreeRecord({
      gen: 1,
      base: {
        tree: [undefined],
        hashes: nodes.map((node) => ({ node, hash: h })),
      },
    });
    fails(b, "invalid_value", "TreeRecord.base.hashes[1]");
  }
  const delta = encodeTreeDelta({
    tree: [{ kind: 1, count: 3 }],
    hashes: [{ node: 31, hash: h }, { node: 7, hash: h }],
  });
  assert.throws(
    () => decodeTreeDelta(delta, "TreeDelta[1]"),
    (e) =>
      e instanceof MlsError && e.code === "invalid_value" &&
      e.field === "TreeDelta[1].hashes[1]",
  );
});

const u8 = (...b: number[]) => new Uint8Array(b);

const pending: PendingRecord = {
  epoch: 7n,
  commit: u8(1, 2),
  welcome: undefined,
  groupInfo: u8(3),
  state: u8(4, 5, 6),
};

function refused(f: () => unknown, code: string): void {
  assert.throws(f, (e) => e instanceof MlsError && e.code === code);
}

Deno.test("records: identity and key package records round-trip; wrong versions are refused", () => {
  const id = { cipherSuite: 3, signaturePublicKey: u8(9, 9) };
  assert.deepEqual(identityRecord.decode(identityRecord.encode(id)), id);
  const kp = {
    keyPackage: u8(1),
    initPrivateKey: u8(2),
    encryptionPrivateKey: u8(3),
    lastResort: 1,
  };
  const encoded = keyPackageRecord.encode(kp);
  assert.deepEqual(keyPackageRecord.decode(encoded), kp);
  const v9 = encoded.slice();
  v9[0] = 9;
  refused(() => keyPackageRecord.decode(v9), "unsupported_state_version");
  refused(
    () =>
      identityRecord.decode(new Uint8Array([...identityRecord.encode(id), 0])),
    "trailing_bytes",
  );
});

Deno.test("records: pending records in versions 1, 2 and 3", () => {
  const v1 = pendingRecord.encode(pending);
  assert.equal(v1[0], 1);
  assert.deepEqual(pendingRecord.decode(v1), pending);
  const summary = { added: [3], removed: [1, 2], updated: [0] };
  const v2 = pendingRecord.encode({ ...pending, summary });
  assert.equal(v2[0], 2);
  assert.deepEqual(pendingRecord.decode(v2), { ...pending, summary });
  const withWelcome = { ...pending, welcome: u8(8), summary };
  const v3 = pendingRecord.encode({
    ...withWelcome,
    groupInfoTreeOmitted: true,
  });
  assert.equal(v3[0], 3);
  assert.deepEqual(pendingRecord.decode(v3), {
    ...withWelcome,
    groupInfoTreeOmitted: true,
  });
  refused(
    () => pendingRecord.decode(v2.subarray(0, v2.length - 1)),
    "truncated",
  );
  const v7 = v1.slice();
  v7[0] = 7;
  refused(() => pendingRecord.decode(v7), "unsupported_state_version");
});
Deno.test("records: belongsToClient, the library's records of a client, and others' records ending with it", () => {
  const mine = [
    identityKey("c1"),
    signerKey("c1"),
    keyPackageKey("c1", "ref"),
    groupKey("g", "c1"),
    pendingKey("g", "c1"),
    ratchetsKey("g", "c1"),
    `${ratchetsKey("g", "c1")}/0/3`,
    "delivery/cursor/c1",
  ];
  for (const k of mine) assert.ok(belongsToClient(k, "c1"), k);
});

Deno.test("records: belongsToClient, never another client's records", () => {
  const theirs = [
    identityKey("c2"),
    signerKey("c10"),
    keyPackageKey("c2", "c1"), // a package ref that happens to be "c1"
    groupKey("c1", "c2"), // a group id that happens to be "c1"
    pendingKey("g", "c2"),
    `${ratchetsKey("g", "c2")}/c1`,
    "identity/c1/extra",
    "psk/c1", // an external PSK is shared by the storage's clients
    "c1",
  ];
  for (const k of theirs) assert.ok(!belongsToClient(k, "c1"), k);
});
