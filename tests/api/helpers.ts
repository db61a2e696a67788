// Setup and assertions shared by the API tests: a three-member group,
// "fails with this code and stores nothing", "the group still works".
import assert from "node:assert/strict";
import {
  type GroupView,
  MemoryStorage,
  MLS,
  MlsError,
  type MLSOptions,
} from "../../mod.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { MAX_DELTA_RECORDS } from "../../src/api/persist.ts";
import { storeNewState } from "../../src/api/stored_view.ts";
import type { ViewEnvironment } from "../../src/api/view_environment.ts";
import { ViewState } from "../../src/api/view_state.ts";
import { toHex } from "../../src/util/bytes.ts";
import { groupOf, type TestGroup } from "../group/helpers.ts";

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

/**
 * A view environment as `new MLS()` makes it (over a fresh
 * `MemoryStorage`), with `over` replacing some of it: for the tests of
 * the modules behind `GroupView`.
 */
export function testEnv(over: Partial<ViewEnvironment> = {}): ViewEnvironment {
  return {
    storage: new MemoryStorage(),
    provider: defaultProvider(),
    autoCommit: true,
    ratchetRecordLimit: MAX_DELTA_RECORDS,
    validation: {},
    ...over,
  };
}

/**
 * A group of `names` made with the group layer (suite 1; leaf `i` is
 * `names[i]`), each member's state stored in one environment (`testEnv`
 * with `over`) and held by its `ViewState`, as a `GroupView` holds it.
 */
export async function liveGroup(
  names: string[],
  over: Partial<ViewEnvironment> = {},
): Promise<{ env: ViewEnvironment; group: TestGroup; lives: ViewState[] }> {
  const env = testEnv(over);
  const group = await groupOf(await env.provider.suite(1), names);
  const lives = await Promise.all(group.states.map(async (state, i) => {
    const { publicKey, privateKey } = group.clients[i].signer;
    const clientId = toHex(publicKey);
    const store = await storeNewState(env, clientId, state, [], false);
    const parts = { state, pending: undefined, store };
    const groupId = toHex(state.context.groupId);
    return new ViewState(env, groupId, clientId, privateKey, parts);
  }));
  return { env, group, lives };
}
