// Integration: the real server on a loopback port, three clients through
// the DeliveryClient binding: register, upload key packages, create, add
// two, converse, remove one (who can no longer read), external join via
// the published GroupInfo. Once over the in-memory store, once over Deno KV.
import assert from "node:assert/strict";
import { DeliveryError } from "../../delivery.ts";
import { KvStore } from "../../server/store/kv.ts";
import { openPg, PG_URL } from "./pg_stores.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import type { DeliveryStore } from "../../server/store/store.ts";
import { client, exporter, startServer } from "./helpers.ts";

async function flow(store: DeliveryStore): Promise<void> {
  const server = await startServer(store);
  try {
    const alice = await client(server.url, "alice");
    const bob = await client(server.url, "bob");
    const carol = await client(server.url, "carol");
    assert.equal((await alice.client.http.me()).keyPackages, 4);

    const g = await alice.client.createGroup({ externalJoins: true });
    const gid = g.groupId;
    await alice.client.add(gid, [bob.client.clientId, carol.client.clientId]);
    assert.equal(g.epoch, 1n);
    assert.equal((await bob.client.http.me()).keyPackages, 3); // one claimed

    await bob.client.sync();
    await carol.client.sync();
    assert.ok(bob.events.some((e) => e.type === "joined"));
    assert.ok(carol.events.some((e) => e.type === "joined"));
    const info = await alice.client.http.group(gid);
    assert.equal(info.epoch, 1);
    assert.deepEqual(
      new Set(info.members),
      new Set([alice, bob, carol].map((c) => c.client.clientId)),
    );

    // Converse.
    await alice.client.send(gid, "hi from alice");
    await bob.client.send(gid, "hi from bob");
    await alice.client.sync();
    await bob.client.sync();
    await carol.client.sync();
    assert.deepEqual(alice.texts, ["hi from bob"]);
    assert.deepEqual(bob.texts, ["hi from alice"]);
    assert.deepEqual(carol.texts, ["hi from alice", "hi from bob"]);

    // Remove carol: she learns it, then gets nothing more.
    await alice.client.remove(gid, [carol.client.clientId]);
    await bob.client.sync();
    await carol.client.sync();
    assert.ok(
      carol.events.some((e) =>
        e.type === "received" && e.received.type === "removed"
      ),
    );
    const secret = await alice.client.group(gid).then((v) => v!.send("secret"));
    await alice.client.http.post(gid, secret);
    await bob.client.sync();
    assert.equal(bob.texts.at(-1), "secret");
    assert.equal(await carol.client.sync(), 0);
    // Even with the ciphertext in hand, her state cannot read it.
    const carolView = await carol.client.group(gid);
    await assert.rejects(() => carolView!.receive(secret));
    // Her view refuses to send, and the service refuses her posts.
    await assert.rejects(() => carol.client.send(gid, "still here?"));
    await assert.rejects(
      () => carol.client.http.post(gid, secret),
      (e) => e instanceof DeliveryError && e.code === "not_member",
    );

    // External join from the published GroupInfo.
    const dave = await client(server.url, "dave");
    await dave.client.joinExternal(gid);
    await alice.client.sync();
    await bob.client.sync();
    await dave.client.send(gid, "hello from dave");
    await alice.client.sync();
    await bob.client.sync();
    assert.equal(alice.texts.at(-1), "hello from dave");
    assert.equal(bob.texts.at(-1), "hello from dave");

    const epochs = await Promise.all(
      [alice, bob, dave].map(async (c) => (await c.client.group(gid))!.epoch),
    );
    assert.deepEqual(epochs, [3n, 3n, 3n]);
    assert.equal((await alice.client.http.group(gid)).epoch, 3);
    const secrets = await Promise.all(
      [alice, bob, dave].map((c) => exporter(c, gid)),
    );
    assert.equal(new Set(secrets).size, 1);
    assert.equal(
      [alice, bob, dave].flatMap((c) => c.events).filter((e) =>
        e.type === "error"
      ).length,
      0,
    );
  } finally {
    await server.close();
  }
}

Deno.test("server: three clients end to end (memory store)", async () => {
  await flow(new MemoryStore());
});

Deno.test("server: three clients end to end (Deno KV store)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-kv-" });
  try {
    await flow(await KvStore.open(`${dir}/ds.kv`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

if (PG_URL) {
  Deno.test("server: three clients end to end (Postgres store)", async () => {
    await flow(await openPg());
  });
}
