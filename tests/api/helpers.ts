// Setup and assertions shared by the API tests: a three-member group,
// "fails with this code and stores nothing", "the group still works".
import assert from "node:assert/strict";
import { type GroupView, MLS, MlsError, type MLSOptions } from "../../mod.ts";

/**
 * Alice creates a group and adds Bob and Charlie in one commit (`add`);
 * all three views, in one `MLS` (`from`, or a new one with `from` as its
 * options).
 */
export async function conversation(from: MLS | MLSOptions = {}) {
  const mls = from instanceof MLS ? from : new MLS(from);
  const [alice, bob, charlie] = await Promise.all([
    mls.generateIdentity(),
    mls.generateIdentity(),
    mls.generateIdentity(),
  ]);
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const add = await a.add([
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
    await mls.generateKeyPackage(
      charlie,
      await mls.generateCredential("charlie"),
    ),
  ]);
  await a.receive(add);
  const b = await mls.groupJoin(bob, add);
  const c = await mls.groupJoin(charlie, add);
  return { mls, alice, bob, charlie, a, b, c, add };
}

/** What is stored of `g`'s member in `g`'s group. */
export async function storedBytes(mls: MLS, g: GroupView): Promise<unknown[]> {
  const keys = (await mls.storage.list("")).filter((k) =>
    k.includes(g.groupId) && k.endsWith(g.clientId)
  );
  return await Promise.all(keys.map((k) => mls.storage.get(k)));
}

/** Asserts `f` fails with `code` and leaves `g`'s stored state unchanged. */
export async function rejectsUnchanged(
  mls: MLS,
  g: GroupView,
  f: () => Promise<unknown>,
  code: string,
): Promise<void> {
  const before = await storedBytes(mls, g);
  const epoch = g.epoch;
  await assert.rejects(f, (e) => {
    assert.ok(e instanceof MlsError, `not an MlsError: ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
  assert.deepEqual(await storedBytes(mls, g), before, "stored state changed");
  assert.equal(g.epoch, epoch);
}

/** A message from `from` reaches `to`, proving the group still works. */
export async function stillTalks(
  from: GroupView,
  to: GroupView,
): Promise<void> {
  const r = await to.receive(await from.send("still here"));
  assert.ok(r.type === "application", `got a ${r.type}`);
  assert.equal(r.text(), "still here");
}
