// Reading a view's records and storing a fresh state
// (src/api/stored_view.ts): what is stored reads back with its pending
// commit; nothing stored is null; a second fresh state is group_exists.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { commitOwn } from "../../src/api/own_messages.ts";
import {
  loadViewParts,
  retireParts,
  storeNewState,
} from "../../src/api/stored_view.ts";
import { liveGroup } from "./helpers.ts";

Deno.test("stored_view: the stored state and pending commit read back", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  const signer = t.group.clients[0].signer.privateKey;
  await commitOwn(a, t.env, { path: true });
  const parts = await loadViewParts(t.env, a.groupId, a.clientId, signer);
  assert.ok(parts);
  assert.equal(parts.state.context.epoch, a.state.context.epoch);
  assert.deepEqual(parts.pending?.record.commit, a.pending!.record.commit);
  assert.equal(await parts.store.isCurrent(), true);
  const exporter = parts.state.keys.exporterSecret;
  retireParts(parts);
  assert.ok(exporter.every((x) => x === 0), "retired parts are wiped");
  assert.equal(await loadViewParts(t.env, "00", a.clientId, signer), null);
});

Deno.test("stored_view: a fresh state over a stored one is group_exists, unless replacing", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  await assert.rejects(
    storeNewState(t.env, a.clientId, a.state, [], false),
    (e) => e instanceof MlsError && e.code === "group_exists",
  );
  const store = await storeNewState(t.env, a.clientId, a.state, [], true);
  assert.equal(await store.isCurrent(), true);
  // The live view's store is no longer current: another write replaced it.
  await assert.rejects(
    a.storeState(a.state, undefined),
    (e) => e instanceof MlsError && e.code === "storage_conflict",
  );
});
