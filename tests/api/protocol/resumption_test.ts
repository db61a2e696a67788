// Reinitialization (RFC 9420 §11.2) and branching (§11.3) through the
// public API: three members move from suite 1 to suite 3 and keep
// talking; a branch is verified by its joiners.
import assert from "node:assert/strict";
import { MLS, MlsError } from "../../../mod.ts";
import { main as reinitExample } from "../../../examples/reinit.ts";
import { main as branchExample } from "../../../examples/branch.ts";

const code = (c: string, field?: string) => (e: unknown) =>
  e instanceof MlsError && e.code === c &&
  (field === undefined || e.field === field);

Deno.test("reinit: three members move from suite 1 to suite 3 and keep talking (example)", async () => {
  const r = await reinitExample(() => {});
  assert.equal(r.frozen, "group_reinitialized");
  assert.deepEqual(r.statuses, ["reinit", "reinit", "reinit"]);
  assert.deepEqual(r.suites, [3, 3, 3]);
  assert.deepEqual(r.epochs, [1n, 1n, 1n]);
  assert.equal(r.heard.length, 6);
  assert.ok(r.heard.includes("hello from carol in suite 3"));
});

Deno.test("branch: a subgroup of two, verified by its joiner; the old group carries on (example)", async () => {
  const r = await branchExample(() => {});
  assert.equal(r.whisper, "just between us");
  assert.equal(r.main, "hi all");
  assert.deepEqual(r.branchMembers, r.expected);
  assert.notEqual(r.groups[0], r.groups[1]);
  assert.equal(r.sameKey, true);
});

Deno.test("resumption: joiners refuse a branch with a stranger and a Welcome that resumes nothing; reinit inputs are checked", async () => {
  const mls = new MLS();
  const [alice, bob, dave] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const bobCred = await mls.generateCredential("bob");
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const added = await group.add(await mls.generateKeyPackage(bob, bobCred));
  await group.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  // Dave was never in the group: Bob's client refuses the branch.
  const bad = await group.branch([
    await mls.generateKeyPackage(bob, bobCred),
    await mls.generateKeyPackage(dave, await mls.generateCredential("dave")),
  ]);
  await assert.rejects(
    mls.groupJoin(bob, bad.welcome!, { resumes: bobGroup }),
    code("invalid_resumption"),
  );
  // A plain Welcome (no resumption PSK) is not a branch of the group.
  const other = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const plain = await other.add(await mls.generateKeyPackage(bob, bobCred));
  await assert.rejects(
    mls.groupJoin(bob, plain, { resumes: bobGroup }),
    code("invalid_resumption"),
  );
  // A branch Welcome needs the old group's view to be joined at all.
  const good = await group.branch([await mls.generateKeyPackage(bob, bobCred)]);
  await assert.rejects(mls.groupJoin(bob, good.welcome!), code("missing_psk"));
  await assert.rejects(
    // @ts-expect-error: not a view
    mls.groupJoin(bob, good.welcome!, { resumes: {} }),
    code("invalid_argument", "options.resumes"),
  );
  const joined = await mls.groupJoin(bob, good.welcome!, { resumes: bobGroup });
  assert.equal(joined.groupId, good.group.groupId);
  // The branch creator's new view is the one MLS hands out.
  assert.equal(await mls.groupGet(good.group.groupId, alice), good.group);
  // ReInit: a suite the provider does not serve; recreating a group that
  // was not reinitialized; an identity of another suite.
  await assert.rejects(
    group.reinit({ cipherSuite: 0x7777 }),
    code("unsupported_cipher_suite", "options.cipherSuite"),
  );
  const alice3 = await mls.generateIdentity({ cipherSuite: 3 });
  await assert.rejects(
    mls.groupReinit(group, alice3, []),
    code("not_reinitialized"),
  );
  await group.receive(await group.reinit({ cipherSuite: 3 }));
  await assert.rejects(
    mls.groupReinit(group, alice, []),
    code("cipher_suite_mismatch"),
  );
  const moved = await mls.groupReinit(group, alice3, []);
  assert.equal(moved.welcome, undefined);
  assert.equal(moved.group.cipherSuite, 3);
});

Deno.test("reinit: a joiner refuses a new group that leaves out a member of the old one", async () => {
  const mls = new MLS();
  const [alice, bob, carol] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const bobCred = await mls.generateCredential("bob");
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const added = await group.add([
    await mls.generateKeyPackage(bob, bobCred),
    await mls.generateKeyPackage(carol, await mls.generateCredential("carol")),
  ]);
  await group.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  const reinit = await group.reinit({ cipherSuite: 3 });
  await group.receive(reinit);
  await bobGroup.receive(reinit);
  const bob3 = await mls.generateIdentity({ cipherSuite: 3 });
  const withoutCarol = await mls.groupReinit(
    group,
    await mls.generateIdentity({ cipherSuite: 3 }),
    [await mls.generateKeyPackage(bob3, bobCred)],
  );
  await assert.rejects(
    mls.groupJoin(bob3, withoutCarol.welcome!, { resumes: bobGroup }),
    code("invalid_resumption", "ratchetTree"),
  );
});

Deno.test("branch: the new group may carry the application extensions its members support", async () => {
  const mls = new MLS();
  const [alice, bob] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const capabilities = { extensions: [0xff00] };
  const bobCred = await mls.generateCredential("bob");
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
    { capabilities },
  );
  const added = await group.add(
    await mls.generateKeyPackage(bob, bobCred, { capabilities }),
  );
  await group.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  const name = {
    extensionType: 0xff00,
    extensionData: new TextEncoder().encode("side"),
  };
  const side = await group.branch(
    [await mls.generateKeyPackage(bob, bobCred, { capabilities })],
    { extensions: { application: [name] }, groupId: "0a0b" },
  );
  const bobSide = await mls.groupJoin(bob, side.welcome!, {
    resumes: bobGroup,
  });
  assert.equal(bobSide.groupId, "0a0b");
  assert.deepEqual(bobSide.details().extensions.application, [name]);
});

Deno.test("reinit: the new group takes the ReInit's extensions, which its creator supports", async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const name = {
    extensionType: 0xff00,
    extensionData: new TextEncoder().encode("upgraded"),
  };
  await group.receive(
    await group.reinit({
      cipherSuite: 3,
      groupId: new Uint8Array([1, 2]),
      extensions: { application: [name] },
    }),
  );
  const alice3 = await mls.generateIdentity({ cipherSuite: 3 });
  const { group: moved } = await mls.groupReinit(group, alice3, []);
  assert.equal(moved.groupId, "0102");
  assert.deepEqual(moved.details().extensions.application, [name]);
});
