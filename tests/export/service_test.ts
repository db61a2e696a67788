/**
 * The key export service end to end (issue 18): a consumer's opened
 * secret equals every member's `exportSecret` for each authorized epoch;
 * nothing after the revoking commit; the service's store holds no secret.
 */
import assert from "node:assert/strict";
import { ExportConsumer } from "../../export.ts";
import { MemoryExportStore } from "../../server/exports/memory_store.ts";
import {
  consumerInput,
  consumerKeys,
  contains,
  groupWithServer,
  view,
} from "./fixtures.ts";

Deno.test("export service: the consumer gets every member's exportSecret of each authorized epoch, nothing after revocation", async () => {
  const store = new MemoryExportStore();
  const f = await groupWithServer({}, store);
  try {
    const keys = await consumerKeys();
    const exports = [
      { label: "media", context: "call-1", length: 32 },
      { label: "recording", context: "", length: 16 },
    ];
    // Alice authorizes; her client posts the new epoch's exports.
    await f.alice.client.commit(
      f.groupId,
      (g) => g.authorizeConsumer(consumerInput("sfu", keys, exports)),
    );
    await f.bob.client.sync();
    const bobView = await view(f.bob, f.groupId);
    assert.equal(bobView.details().extensions.exportConsumers?.[0].id, "sfu");
    // Two more epochs, committed by Bob then Alice.
    await f.bob.client.update(f.groupId);
    await f.alice.client.sync();
    await f.alice.client.update(f.groupId);
    await f.bob.client.sync();
    const authorized = [2n, 3n, 4n];
    const sfu = new ExportConsumer({ url: f.server.url, id: "sfu", keys });
    const got = await sfu.fetch(f.groupId, { from: 0 });
    assert.deepEqual(got.rejected, []);
    assert.deepEqual(
      [...new Set(got.secrets.map((s) => s.epoch))],
      authorized,
    );
    assert.equal(got.secrets.length, authorized.length * exports.length);
    assert.equal(got.next, 5);
    // The current epoch (4): both members' exportSecret match.
    for (const member of [f.alice, f.bob]) {
      const g = await view(member, f.groupId);
      assert.equal(g.epoch, 4n);
      for (const x of exports) {
        const mine = await g.exportSecret(x.label, x.context, x.length);
        const theirs = got.secrets.find((s) =>
          s.epoch === 4n && s.label === x.label
        );
        assert.deepEqual(theirs?.secret, mine);
      }
    }
    // The store never holds a secret.
    for (const s of got.secrets) {
      for (const bytes of store.storedBytes()) {
        assert.equal(contains(bytes, s.secret), false);
      }
    }

    // Revocation: the epoch it starts and later ones get nothing.
    await f.bob.client.commit(f.groupId, (g) => g.revokeConsumer("sfu"));
    await f.alice.client.sync();
    await f.alice.client.update(f.groupId);
    await f.bob.client.sync();
    const after = await sfu.fetch(f.groupId, { from: got.next });
    assert.deepEqual(after.secrets, []);
    assert.equal(after.next, got.next);
    // What it was authorized for stays fetchable.
    assert.equal((await sfu.fetch(f.groupId)).secrets.length, 6);
    // A member's own post for the revoked consumer is refused (below) and
    // its sealExports holds nothing for it.
    const g = await view(f.alice, f.groupId);
    const res = await f.alice.client.http.postExports(
      f.groupId,
      await g.sealExports(),
    );
    assert.deepEqual(res, { epoch: 6, accepted: 0, stored: 0 });
  } finally {
    await f.close();
  }
});

Deno.test("export service: the secrets match at every epoch, checked as each epoch is current", async () => {
  const f = await groupWithServer();
  try {
    const keys = await consumerKeys();
    await f.alice.client.commit(
      f.groupId,
      (g) => g.authorizeConsumer(consumerInput("rec", keys)),
    );
    await f.bob.client.sync();
    const rec = new ExportConsumer({ url: f.server.url, id: "rec", keys });
    let from = 0;
    for (let round = 0; round < 3; round++) {
      const batch = await rec.fetch(f.groupId, { from, wait: 5 });
      assert.equal(batch.secrets.length, 1);
      const [s] = batch.secrets;
      for (const member of [f.alice, f.bob]) {
        const g = await view(member, f.groupId);
        assert.equal(s.epoch, g.epoch);
        assert.deepEqual(s.secret, await g.exportSecret("media", "call-1", 32));
      }
      from = batch.next;
      const committer = round % 2 ? f.alice : f.bob;
      const other = round % 2 ? f.bob : f.alice;
      await committer.client.update(f.groupId);
      await other.client.sync();
    }
  } finally {
    await f.close();
  }
});

Deno.test("export service: a long poll returns when the next epoch's exports arrive", async () => {
  const f = await groupWithServer();
  try {
    const keys = await consumerKeys();
    await f.alice.client.commit(
      f.groupId,
      (g) => g.authorizeConsumer(consumerInput("sfu", keys)),
    );
    await f.bob.client.sync();
    const sfu = new ExportConsumer({ url: f.server.url, id: "sfu", keys });
    const first = await sfu.fetch(f.groupId);
    const waiting = sfu.fetch(f.groupId, { from: first.next, wait: 10 });
    const started = Date.now();
    await f.bob.client.update(f.groupId);
    const next = await waiting;
    assert.ok(Date.now() - started < 9000);
    assert.equal(next.secrets.length, 1);
    assert.equal(next.secrets[0].epoch, BigInt(first.next));
  } finally {
    await f.close();
  }
});
