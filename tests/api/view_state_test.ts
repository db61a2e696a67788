// The state behind a GroupView (src/api/view_state.ts): a change is
// stored, then swapped in; a failed write keeps nothing of the change and
// the next call reloads the stored state; a write of another view makes it
// reload; our pending commit is stored, applied and dropped; deleted
// state makes every call fail.
import assert from "node:assert/strict";
import { MemoryStorage, MlsError } from "../../mod.ts";
import { commitOwn } from "../../src/api/own_messages.ts";
import { pendingKey } from "../../src/api/records.ts";
import { loadViewParts } from "../../src/api/stored_view.ts";
import { ViewState } from "../../src/api/view_state.ts";
import { clearProposals, proposeUpdate } from "../../src/group/propose.ts";
import { liveGroup } from "./helpers.ts";
import { FaultyStorage } from "./storage/faulty_storage.ts";

async function faultyGroup() {
  const storage = new FaultyStorage(new MemoryStorage());
  const t = await liveGroup(["alice", "bob"], { storage });
  const signer = t.group.clients[0].signer.privateKey;
  return { ...t, storage, a: t.lives[0], signer };
}

Deno.test("view_state: storeState stores, then swaps", async () => {
  const t = await faultyGroup();
  const sent = await proposeUpdate(t.a.state);
  await t.a.storeState(sent.state, undefined);
  assert.equal(t.a.state, sent.state);
  const stored = await loadViewParts(
    t.env,
    t.a.groupId,
    t.a.clientId,
    t.signer,
  );
  assert.equal(stored!.state.proposals.size, 1);
});

Deno.test("view_state: a failed write swaps nothing in, and the next call reloads the stored state", async () => {
  const t = await faultyGroup();
  const sent = await proposeUpdate(t.a.state);
  t.storage.fail({ op: "batch", match: () => true, times: 1 });
  await assert.rejects(
    t.a.storeState(sent.state, undefined),
    (e) => e instanceof MlsError && e.code === "storage_failure",
  );
  assert.notEqual(t.a.state, sent.state);
  await t.a.prepare(); // reloads
  assert.equal(t.a.state.proposals.size, 0);
  // And works again.
  await t.a.storeState(clearProposals(t.a.state), undefined);
});

Deno.test("view_state: another view's write makes this one reload before its next call", async () => {
  // MemoryStorage has conditional batches (FaultyStorage does not).
  const g = await liveGroup(["alice", "bob"]);
  const t = {
    ...g,
    a: g.lives[0],
    signer: g.group.clients[0].signer.privateKey,
  };
  const other = new ViewState(
    t.env,
    t.a.groupId,
    t.a.clientId,
    t.signer,
    (await loadViewParts(t.env, t.a.groupId, t.a.clientId, t.signer))!,
  );
  const sent = await proposeUpdate(other.state);
  await other.storeState(sent.state, undefined);
  const mine = t.a.state;
  assert.equal(mine.proposals.size, 0);
  // Our write would lose to the other view's.
  await assert.rejects(
    t.a.storeState(clearProposals(mine), undefined),
    (e) => e instanceof MlsError && e.code === "storage_conflict",
  );
  await t.a.prepare();
  assert.equal(t.a.state.proposals.size, 1);
});

Deno.test("view_state: a pending commit is stored, applied by enterEpoch, or dropped", async () => {
  const t = await faultyGroup();
  const key = pendingKey(t.a.groupId, t.a.clientId);
  await commitOwn(t.a, t.env, { path: true }); // holdPending
  assert.ok(await t.env.storage.get(key));
  await t.a.clearPending();
  assert.equal(t.a.pending, undefined);
  assert.equal(await t.env.storage.get(key), undefined);
  await commitOwn(t.a, t.env, { path: true });
  const next = t.a.pending!.state;
  await t.a.enterEpoch(next);
  assert.equal(t.a.state, next);
  assert.equal(t.a.pending, undefined);
  assert.equal(await t.env.storage.get(key), undefined);
});

Deno.test("view_state: after deleteAll every call fails with group_deleted", async () => {
  const t = await faultyGroup();
  await t.a.deleteAll();
  assert.equal(
    await loadViewParts(t.env, t.a.groupId, t.a.clientId, t.signer),
    null,
  );
  await assert.rejects(
    t.a.prepare(),
    (e) => e instanceof MlsError && e.code === "group_deleted",
  );
});
