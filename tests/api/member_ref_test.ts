// Naming members (src/api/member_ref.ts): by client id, Identity, Member,
// or credential identity (all of a user's devices); who a removal names.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import {
  byIdentity,
  leavesOf,
  leavesToRemove,
  otherLeaves,
  withIdentity,
} from "../../src/api/member_ref.ts";
import { conversation } from "./helpers.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

function failsWith(f: () => unknown, code: string, field?: string): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof MlsError);
    assert.equal(e.code, code);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

/** Alice, Bob, Charlie, and Bob's second device (leaf 3). */
async function fourLeaves() {
  const t = await conversation();
  const bob2 = await t.mls.generateIdentity();
  const add = await t.a.add(
    await t.mls.generateKeyPackage(bob2, await t.mls.generateCredential("bob")),
  );
  await t.a.receive(add);
  return { ...t, members: t.a.members };
}

Deno.test("member_ref: withIdentity matches basic credential identities", async () => {
  const { members } = await fourLeaves();
  assert.deepEqual(
    withIdentity(members, utf8("bob")).map((m) => m.leafIndex),
    [1, 3],
  );
  assert.deepEqual(withIdentity(members, utf8("bo")), []);
});

Deno.test("member_ref: byIdentity tells { identity } from a Member", async () => {
  const { members } = await fourLeaves();
  assert.equal(byIdentity({ identity: "bob" }), true);
  assert.equal(byIdentity(members[1]), false); // has clientId
  assert.equal(byIdentity("ab"), false);
  assert.equal(byIdentity(null), false);
});

Deno.test("member_ref: leavesOf by client id, Identity, Member and identity", async () => {
  const { members, bob } = await fourLeaves();
  assert.deepEqual(leavesOf(members, members[2].clientId, "m"), [2]);
  assert.deepEqual(leavesOf(members, bob, "m"), [1]);
  assert.deepEqual(leavesOf(members, members[3], "m"), [3]);
  assert.deepEqual(leavesOf(members, { identity: "bob" }, "m"), [1, 3]);
  assert.deepEqual(leavesOf(members, { identity: utf8("alice") }, "m"), [0]);
  failsWith(
    () => leavesOf(members, { identity: "dave" }, "m"),
    "unknown_member",
    "m.identity",
  );
  failsWith(() => leavesOf(members, "00".repeat(32), "m"), "unknown_member");
  failsWith(() => leavesOf(members, 7, "m"), "invalid_argument", "m");
});

Deno.test("member_ref: leavesToRemove spares the committer, dedupes, refuses removing only it", async () => {
  const { members } = await fourLeaves();
  const refs = (...values: unknown[]) =>
    values.map((value, i) => ({ value, field: `members.${i}` }));
  // Bob as the committer (leaf 1): "bob" names only his other device.
  assert.deepEqual(leavesToRemove(members, refs({ identity: "bob" }), 1), [3]);
  assert.deepEqual(
    leavesToRemove(members, refs({ identity: "bob" }, members[3]), 0),
    [1, 3],
  );
  failsWith(
    () => leavesToRemove(members, refs({ identity: "alice" }), 0),
    "remove_committer",
    "members.0.identity",
  );
});

Deno.test("member_ref: otherLeaves is every leaf but ours", async () => {
  const { members } = await fourLeaves();
  assert.deepEqual(otherLeaves(members, 1), [0, 2, 3]);
  assert.deepEqual(otherLeaves(members.slice(0, 1), 0), []);
});
