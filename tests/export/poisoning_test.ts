/**
 * One member cannot deny the others (issue 18): the service keeps one
 * sealed copy per posting member, never replaced, so a member's garbage
 * posted first does not keep an honest copy from the consumer, which
 * opens every copy and reports the ones that did not open with their
 * poster; a validly sealed wrong secret shows up as an alternative; the
 * copies of an export are bounded (`409 too_many_copies`). And a waiting
 * consumer is woken by the post, not by a re-check.
 */
import assert from "node:assert/strict";
import { encode } from "../../src/codec/codec.ts";
import { encryptWithLabel } from "../../src/crypto/labeled.ts";
import {
  EXPORT_SEAL_LABEL,
  exportSealContext,
  sealedExportsCodec,
} from "../../src/messages/export_consumers.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { fromHex, utf8Encode } from "../../src/util/bytes.ts";
import { commitBundle } from "../../server/client/delivery_client.ts";
import { DeliveryError, ExportConsumer } from "../../export.ts";
import type { ConsumerKeys } from "../../export.ts";
import { KvExportStore } from "../../server/exports/kv_store.ts";
import type { AppOptions } from "../../server/options.ts";
import {
  consumerInput,
  consumerKeys,
  type Fixture,
  groupWithServer,
  view,
} from "./fixtures.ts";

const ALICE = 0; // she created the group: leaf 0
const BOB = 1; // added by her: leaf 1

/**
 * A group authorizing "sfu", moved to a new epoch by a commit of Bob's
 * that posts no exports: no copy of that epoch exists yet.
 */
async function freshEpoch(options: AppOptions = {}): Promise<
  { f: Fixture; keys: ConsumerKeys; epoch: bigint }
> {
  const f = await groupWithServer(options);
  const keys = await consumerKeys();
  await f.alice.client.commit(
    f.groupId,
    (g) => g.authorizeConsumer(consumerInput("sfu", keys)),
  );
  await f.bob.client.sync();
  const out = await (await view(f.bob, f.groupId)).update();
  await f.bob.client.http.post(f.groupId, commitBundle(out));
  await f.bob.client.sync();
  await f.alice.client.sync();
  const epoch = (await view(f.alice, f.groupId)).epoch;
  assert.equal((await view(f.bob, f.groupId)).epoch, epoch);
  return { f, keys, epoch };
}

/** Alice's post for the epoch: `secret` sealed properly, or garbage. */
async function alicePost(
  f: Fixture,
  keys: ConsumerKeys,
  epoch: bigint,
  secret?: Uint8Array,
): Promise<Uint8Array> {
  const cs = await defaultProvider().suite(1);
  const where = {
    groupId: fromHex(f.groupId),
    epoch,
    consumerId: utf8Encode("sfu"),
    label: utf8Encode("media"),
    context: utf8Encode("call-1"),
  };
  const sealed = secret
    ? await encryptWithLabel(
      cs,
      keys.hpkePublicKey,
      EXPORT_SEAL_LABEL,
      exportSealContext(where),
      secret,
    )
    : { kemOutput: cs.randomBytes(32), ciphertext: cs.randomBytes(32 + 16) };
  return encode(sealedExportsCodec, {
    groupId: where.groupId,
    epoch,
    exports: [{
      consumerId: where.consumerId,
      label: where.label,
      context: where.context,
      sealed,
    }],
  });
}

Deno.test("export poisoning: a member's garbage posted first does not keep an honest copy from the consumer", async () => {
  const { f, keys, epoch } = await freshEpoch();
  try {
    const post = (b: Uint8Array) =>
      f.alice.client.http.postExports(f.groupId, b);
    const e = Number(epoch);
    // Alice posts garbage first, then tries to post more: her copy stays.
    assert.deepEqual(await post(await alicePost(f, keys, epoch)), {
      epoch: e,
      accepted: 1,
      stored: 1,
    });
    assert.deepEqual(await post(await alicePost(f, keys, epoch)), {
      epoch: e,
      accepted: 1,
      stored: 0,
    });
    // Bob's honest copy is kept beside hers.
    assert.deepEqual(await f.bob.client.postExports(f.groupId), {
      epoch: e,
      accepted: 1,
      stored: 1,
    });
    const sfu = new ExportConsumer({ url: f.server.url, id: "sfu", keys });
    const got = await sfu.fetch(f.groupId, { from: e });
    const mine = await (await view(f.bob, f.groupId))
      .exportSecret("media", "call-1", 32);
    assert.equal(got.secrets.length, 1);
    assert.equal(got.secrets[0].epoch, epoch);
    assert.deepEqual(got.secrets[0].secret, mine);
    assert.deepEqual(got.secrets[0].posters, [BOB]);
    assert.deepEqual(got.secrets[0].alternatives, []);
    assert.deepEqual(got.rejected, [{
      epoch,
      label: "media",
      context: utf8Encode("call-1"),
      poster: ALICE,
    }]);
    assert.equal(got.next, e + 1);
  } finally {
    await f.close();
  }
});

Deno.test("export poisoning: a wrong secret sealed properly is given as an alternative, the right one is not lost", async () => {
  const { f, keys, epoch } = await freshEpoch();
  try {
    const wrong = new Uint8Array(32).fill(7);
    await f.alice.client.http.postExports(
      f.groupId,
      await alicePost(f, keys, epoch, wrong),
    );
    await f.bob.client.postExports(f.groupId);
    const sfu = new ExportConsumer({ url: f.server.url, id: "sfu", keys });
    const [s] = (await sfu.fetch(f.groupId, { from: Number(epoch) })).secrets;
    const right = await (await view(f.bob, f.groupId))
      .exportSecret("media", "call-1", 32);
    // One copy each: a tie, the lowest leaf first; both are given.
    assert.deepEqual(
      [s.secret, ...s.alternatives.map((a) => a.secret)],
      [wrong, right],
    );
    assert.deepEqual(s.posters, [ALICE]);
    assert.deepEqual(s.alternatives.map((a) => a.posters), [[BOB]]);
  } finally {
    await f.close();
  }
});

Deno.test("export poisoning: an export's copies are bounded, a post beyond is 409 too_many_copies", async () => {
  const { f, keys, epoch } = await freshEpoch({ maxExportCopies: 1 });
  try {
    await f.alice.client.http.postExports(
      f.groupId,
      await alicePost(f, keys, epoch),
    );
    await assert.rejects(f.bob.client.postExports(f.groupId), (e: unknown) => {
      assert.ok(e instanceof DeliveryError, String(e));
      assert.equal(e.status, 409);
      assert.equal(e.code, "too_many_copies");
      return true;
    });
    const sfu = new ExportConsumer({ url: f.server.url, id: "sfu", keys });
    const got = await sfu.fetch(f.groupId, { from: Number(epoch) });
    assert.deepEqual(got.secrets, []);
    assert.deepEqual(got.rejected.map((r) => r.poster), [ALICE]);
  } finally {
    await f.close();
  }
});

for (const kv of [false, true]) {
  Deno.test(
    `export wake-up: a long poll returns the export posted while it waits (${
      kv ? "Deno KV" : "memory"
    } store)`,
    async () => {
      // No re-check within the wait, and the consumer gives up at half of
      // it: only the post's wake-up can answer (the last listing, at the
      // wait's end, would find the export too, so that end is never reached).
      const f = await groupWithServer(
        { exportRecheckMs: 3_600_000, maxWaitSeconds: 60 },
        kv ? new KvExportStore(await Deno.openKv(":memory:")) : undefined,
      );
      try {
        const keys = await consumerKeys();
        await f.alice.client.commit(
          f.groupId,
          (g) => g.authorizeConsumer(consumerInput("sfu", keys)),
        );
        await f.bob.client.sync();
        const sfu = new ExportConsumer({ url: f.server.url, id: "sfu", keys });
        const first = await sfu.fetch(f.groupId);
        const waiting = sfu.fetch(f.groupId, {
          from: first.next,
          wait: 60,
          signal: AbortSignal.timeout(30_000),
        });
        await f.bob.client.update(f.groupId); // posts the new epoch's exports
        const next = await waiting;
        assert.equal(next.secrets.length, 1);
        assert.equal(next.secrets[0].epoch, BigInt(first.next));
        assert.deepEqual(
          next.secrets[0].secret,
          await (await view(f.bob, f.groupId)).exportSecret(
            "media",
            "call-1",
            32,
          ),
        );
      } finally {
        await f.close();
      }
    },
  );
}
