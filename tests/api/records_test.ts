// The stored records (src/api/records.ts): their keys never collide across
// members and groups, and each record reads back as written in each of its
// versions; trailing bytes, truncation and unknown versions are refused.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import {
  groupKey,
  headKey,
  identityRecord,
  keyPackageRecord,
  pendingKey,
  type PendingRecord,
  pendingRecord,
  ratchetsKey,
  ratchetsPrefix,
  treeDeltaKey,
  treeKey,
  treePrefix,
} from "../../src/api/records.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

const pending: PendingRecord = {
  epoch: 7n,
  commit: bytes(1, 2),
  welcome: undefined,
  groupInfo: bytes(3),
  state: bytes(4, 5, 6),
};

function refused(f: () => unknown, code: string): void {
  assert.throws(f, (e) => e instanceof MlsError && e.code === code);
}

Deno.test("records: keys are per group and member, prefixes cover their records", () => {
  const keys = [
    groupKey("g1", "c1"),
    groupKey("g1", "c2"),
    groupKey("g2", "c1"),
    pendingKey("g1", "c1"),
    headKey("g1", "c1"),
    ratchetsKey("g1", "c1"),
    treeDeltaKey("g1", "c1", 0, 1),
  ];
  assert.equal(new Set(keys).size, keys.length);
  // Listing the deltas never lists the base record.
  assert.ok(!ratchetsKey("g1", "c1").startsWith(ratchetsPrefix("g1", "c1")));
  assert.ok(!treeKey("g1", "c1").startsWith(treePrefix("g1", "c1")));
  assert.ok(treeDeltaKey("g1", "c1", 2, 3).startsWith(treePrefix("g1", "c1")));
  assert.ok(
    !treeDeltaKey("g1", "c10", 2, 3).startsWith(treePrefix("g1", "c1")),
  );
});

Deno.test("records: identity and key package records round-trip; wrong versions are refused", () => {
  const id = { cipherSuite: 3, signaturePublicKey: bytes(9, 9) };
  assert.deepEqual(identityRecord.decode(identityRecord.encode(id)), id);
  const kp = {
    keyPackage: bytes(1),
    initPrivateKey: bytes(2),
    encryptionPrivateKey: bytes(3),
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
  const withWelcome = { ...pending, welcome: bytes(8), summary };
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
