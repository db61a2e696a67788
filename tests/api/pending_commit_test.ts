// Our pending commit (src/api/pending_commit.ts): its record is stored and
// read back whole, the GroupInfo's copy of the tree is left out of the
// stored record and put back on reading, and a changed next-epoch state
// is stored with it.
import assert from "node:assert/strict";
import { commitOwn } from "../../src/api/own_messages.ts";
import {
  pendingWrite,
  readPendingCommit,
  withPendingState,
} from "../../src/api/pending_commit.ts";
import { pendingRecord } from "../../src/api/records.ts";
import { getBytes } from "../../src/api/storage/storage.ts";
import { pendingKey } from "../../src/api/records.ts";
import { liveGroup } from "./helpers.ts";

async function pendingOf(names: string[]) {
  const t = await liveGroup(names);
  const [a] = t.lives;
  await commitOwn(a, t.env, { path: true });
  const signer = t.group.clients[0].signer.privateKey;
  return { t, a, signer };
}

Deno.test("pending_commit: the stored record reads back as it was made", async () => {
  const { t, a, signer } = await pendingOf(["alice", "bob", "charlie"]);
  const p = a.pending!;
  const bytes = await getBytes(
    t.env.storage,
    pendingKey(a.groupId, a.clientId),
  );
  assert.ok(bytes);
  const back = await readPendingCommit(bytes, t.env.provider, signer, a.state);
  assert.deepEqual(back.record.commit, p.record.commit);
  assert.deepEqual(back.record.groupInfo, p.record.groupInfo);
  assert.deepEqual(back.record.summary, p.record.summary);
  assert.equal(back.state.context.epoch, p.state.context.epoch);
  assert.deepEqual(back.state.keys.exporterSecret, p.state.keys.exporterSecret);
});

Deno.test("pending_commit: the GroupInfo's ratchet tree is not stored twice", async () => {
  const { t, a, signer } = await pendingOf(["alice", "bob", "charlie"]);
  const p = a.pending!;
  const w = pendingWrite("k", p);
  const stored = pendingRecord.decode(w.value as Uint8Array);
  assert.equal(stored.groupInfoTreeOmitted, true);
  assert.ok(stored.groupInfo.length < p.record.groupInfo.length);
  const back = await readPendingCommit(
    w.value as Uint8Array,
    t.env.provider,
    signer,
    a.state,
  );
  assert.deepEqual(back.record.groupInfo, p.record.groupInfo);
  assert.equal(back.record.groupInfoTreeOmitted, undefined);
});

Deno.test("pending_commit: withPendingState re-serializes the next epoch's state", async () => {
  const { t, a, signer } = await pendingOf(["alice", "bob"]);
  const p = a.pending!;
  const config = { ...p.state.config, handshakeWireFormat: "public" as const };
  const changed = withPendingState(
    p,
    { ...p.state, config },
    a.clientId,
    a.state,
  );
  assert.equal(changed.state.config.handshakeWireFormat, "public");
  assert.deepEqual(changed.record.commit, p.record.commit);
  const back = await readPendingCommit(
    pendingWrite("k", changed).value as Uint8Array,
    t.env.provider,
    signer,
    a.state,
  );
  assert.equal(back.state.config.handshakeWireFormat, "public");
});
