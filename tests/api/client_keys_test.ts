// Which records belong to a client (src/api/client_keys.ts), for
// MLS.deleteIdentity: the library's records by their fixed place, other
// records by their last segment; never another client's.
import assert from "node:assert/strict";
import { belongsToClient } from "../../src/api/client_keys.ts";
import {
  groupKey,
  identityKey,
  keyPackageKey,
  pendingKey,
  ratchetsKey,
  signerKey,
} from "../../src/api/records.ts";

Deno.test("client_keys: the library's records of a client, and others' records ending with it", () => {
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

Deno.test("client_keys: never another client's records", () => {
  const theirs = [
    identityKey("c2"),
    signerKey("c10"),
    keyPackageKey("c2", "c1"), // a package ref that happens to be "c1"
    groupKey("c1", "c2"), // a group id that happens to be "c1"
    pendingKey("g", "c2"),
    `${ratchetsKey("g", "c2")}/c1`,
    "identity/c1/extra",
    "c1",
  ];
  for (const k of theirs) assert.ok(!belongsToClient(k, "c1"), k);
});
