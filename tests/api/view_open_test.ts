// Opening a GroupView (src/api/view_open.ts): a fresh state is stored and
// loads back as the same view; nothing stored is null; a second fresh
// state of the same group is group_exists unless it replaces.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { loadGroupView, storeGroupView } from "../../src/api/view_open.ts";
import { groupOf } from "../group/helpers.ts";
import { testEnv } from "./helpers.ts";
import { toHex } from "../../src/util/bytes.ts";

async function fresh() {
  const env = testEnv();
  const g = await groupOf(await env.provider.suite(1), ["alice", "bob"]);
  const { publicKey, privateKey } = g.clients[0].signer;
  return { env, g, clientId: toHex(publicKey), signer: privateKey };
}

Deno.test("view_open: a stored view loads back the same", async () => {
  const { env, g, clientId, signer } = await fresh();
  const view = await storeGroupView(env, clientId, signer, g.states[0]);
  assert.equal(view.clientId, clientId);
  assert.equal(view.groupId, toHex(g.states[0].context.groupId));
  const loaded = await loadGroupView(env, view.groupId, clientId, signer);
  assert.ok(loaded);
  assert.equal(loaded.epoch, view.epoch);
  assert.deepEqual(loaded.members, view.members);
  assert.equal(loaded.hasPendingCommit, false);
  assert.equal(await loadGroupView(env, "ab", clientId, signer), null);
});

Deno.test("view_open: a second fresh state is group_exists, unless it replaces", async () => {
  const { env, g, clientId, signer } = await fresh();
  await storeGroupView(env, clientId, signer, g.states[0]);
  await assert.rejects(
    storeGroupView(env, clientId, signer, g.states[0]),
    (e) => e instanceof MlsError && e.code === "group_exists",
  );
  const again = await storeGroupView(
    env,
    clientId,
    signer,
    g.states[0],
    [],
    true,
  );
  assert.equal(again.epoch, g.states[0].context.epoch);
});
