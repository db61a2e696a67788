// API-level bad input: each is a specific MlsError, nothing stored changes,
// and the conversation goes on afterwards.
import assert from "node:assert/strict";
import { MLS, MlsError } from "../../mod.ts";
import { conversation, rejectsUnchanged, stillTalks } from "./helpers.ts";

Deno.test("api: garbage bytes are rejected and nothing changes", async () => {
  const { mls, a, b } = await conversation();
  await rejectsUnchanged(
    mls,
    b,
    () => b.receive(new Uint8Array([1, 2, 3])),
    "not_mls_message",
  );
  await rejectsUnchanged(
    mls,
    b,
    () => b.receive(new Uint8Array(0)),
    "truncated",
  );
  const msg = await a.send("x");
  await rejectsUnchanged(
    mls,
    b,
    () => b.receive(msg.subarray(0, msg.length - 1)),
    "truncated",
  );
  const flipped = msg.slice();
  flipped[flipped.length - 5] ^= 1;
  await rejectsUnchanged(mls, b, () => b.receive(flipped), "crypto_failure");
  // The genuine message still decrypts: the failed attempt burned no key.
  const r = await b.receive(msg);
  assert.equal(r.type, "application");
  await stillTalks(a, b);
});

Deno.test("api: a message for another group", async () => {
  const one = await conversation();
  const two = await conversation();
  const msg = await two.a.send("for group two");
  await rejectsUnchanged(
    one.mls,
    one.b,
    () => one.b.receive(msg),
    "wrong_group",
  );
  await stillTalks(one.a, one.b);
});

Deno.test("api: an old-epoch handshake and a duplicate delivery", async () => {
  const { mls, a, b, c } = await conversation({
    groupConfig: { maxPastEpochs: 1 },
  });
  const old = await a.send("epoch 1");
  const upd = await b.update();
  await b.receive(upd);
  await a.receive(upd);
  await c.receive(upd);
  // A late application message from the previous epoch is still readable...
  assert.equal((await c.receive(old)).type, "application");
  // ...but only once.
  await rejectsUnchanged(mls, c, () => c.receive(old), "generation_too_old");
  // A commit for a past epoch is refused.
  await rejectsUnchanged(mls, a, () => a.receive(upd), "wrong_epoch");
  // Two epochs later the old epoch's keys are gone.
  const upd2 = await a.update();
  for (const g of [a, b, c]) await g.receive(upd2);
  const upd3 = await a.update();
  for (const g of [a, b, c]) await g.receive(upd3);
  const stale = await b.send("in epoch 4");
  const upd4 = await c.update();
  for (const g of [a, b, c]) await g.receive(upd4);
  const upd5 = await c.update();
  for (const g of [a, b, c]) await g.receive(upd5);
  await rejectsUnchanged(mls, a, () => a.receive(stale), "wrong_epoch");
  await stillTalks(c, a);
  assert.deepEqual(
    await a.exportSecret("x", "y", 16),
    await b.exportSecret("x", "y", 16),
  );
});

Deno.test("api: authorize hook rejects Bob removing Charlie", async () => {
  const mls = new MLS({ autoCommit: false });
  const names = new Map<string, string>();
  // Alice's view of the rules: only alice may remove members.
  const aliceRules = new MLS({
    storage: mls.storage,
    autoCommit: false,
    authorize: (req) =>
      !(req.kind === "commit" &&
        req.proposals.some((p) => p.kind === "remove") &&
        (req.sender.kind !== "member" ||
          names.get(req.sender.member.clientId) !== "alice")),
  });
  const [alice, bob, charlie] = await Promise.all([
    mls.generateIdentity(),
    mls.generateIdentity(),
    mls.generateIdentity(),
  ]);
  names.set(alice.clientId, "alice").set(bob.clientId, "bob").set(
    charlie.clientId,
    "charlie",
  );
  const a0 = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const add = await a0.add([
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
    await mls.generateKeyPackage(
      charlie,
      await mls.generateCredential("charlie"),
    ),
  ]);
  await a0.receive(add);
  const b = await mls.groupJoin(bob, add);
  const c = await mls.groupJoin(charlie, add);
  // Alice's view with her rules, loaded from the same storage.
  const a = (await aliceRules.groupGet(a0.groupId, alice))!;

  const bobRemoves = await b.remove(charlie);
  await rejectsUnchanged(mls, a, () => a.receive(bobRemoves), "unauthorized");
  await b.clearPendingCommit(); // the delivery service refused it too
  // Bob proposes instead; Alice commits.
  const prop = await b.proposeRemove(charlie);
  await a.receive(prop);
  await c.receive(prop);
  const commit = await a.commit();
  await a.receive(commit);
  await b.receive(commit);
  assert.equal((await c.receive(commit)).type, "removed");
  assert.deepEqual(a.members.map((m) => names.get(m.clientId)), [
    "alice",
    "bob",
  ]);
  await stillTalks(a, b);
  await stillTalks(b, a);
});

Deno.test("api: removed members cannot send; unknown members cannot be removed", async () => {
  const { mls, charlie, a, b, c } = await conversation();
  const rm = await a.remove(charlie);
  await a.receive(rm);
  await b.receive(rm);
  assert.equal((await c.receive(rm)).type, "removed");
  await rejectsUnchanged(mls, c, () => c.send("hello?"), "removed");
  await rejectsUnchanged(mls, a, () => a.remove(charlie), "unknown_member");
  await stillTalks(a, b);
});

Deno.test("api: a second commit while one is pending is refused", async () => {
  const { mls, a, b } = await conversation();
  const first = await a.update();
  await rejectsUnchanged(mls, a, () => a.update(), "commit_pending");
  await a.receive(first);
  await b.receive(first);
  await stillTalks(a, b);
});

Deno.test("api: a Welcome for someone else", async () => {
  const mls = new MLS();
  const [alice, bob, eve] = await Promise.all([
    mls.generateIdentity(),
    mls.generateIdentity(),
    mls.generateIdentity(),
  ]);
  await mls.generateKeyPackage(eve, await mls.generateCredential("eve"));
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const add = await a.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
  );
  await assert.rejects(
    () => mls.groupJoin(eve, add),
    (e) => e instanceof MlsError && e.code === "welcome_not_for_us",
  );
  const b = await mls.groupJoin(bob, add);
  await a.receive(add);
  await stillTalks(a, b);
});

Deno.test("API: no application data while the epoch has uncommitted proposals (§12.4)", async () => {
  const { mls, a, b, c } = await conversation({ autoCommit: false });
  const proposal = await b.proposeRemove(
    c.members.find((m) => m.clientId === c.clientId)!,
  );
  // The proposer itself has observed a proposal.
  await rejectsUnchanged(mls, b, () => b.send("hi"), "proposals_pending");
  const seen = await a.receive(proposal);
  assert.equal(seen.type, "proposal");
  await rejectsUnchanged(mls, a, () => a.send("hi"), "proposals_pending");
  // Once a commit covering them is out, sending is allowed again.
  const commit = await a.commit();
  await a.send("sent after committing");
  await a.receive(commit);
  await b.receive(commit);
  await stillTalks(a, b);
  await stillTalks(b, a);
});

Deno.test("API: with autoCommit a received proposal does not block sending", async () => {
  const { a, b, c } = await conversation();
  const proposal = await b.proposeRemove(
    c.members.find((m) => m.clientId === c.clientId)!,
  );
  const seen = await a.receive(proposal);
  assert.ok(seen.type === "proposal" && seen.commitOutput);
  await a.send("the commit is on its way");
});
