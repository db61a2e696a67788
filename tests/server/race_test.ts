// Integration: members commit for the same epoch at once. Exactly one
// commit is accepted, the others get 409 epoch_conflict with the current
// epoch; through the client binding the losers recover (clear, process the
// winner, commit again), and every member ends at the same epoch with equal
// exporter secrets. Over memory, over Deno KV, and over two server
// processes sharing one Deno KV file.
import assert from "node:assert/strict";
import { commitBundle, DeliveryError } from "../../delivery.ts";
import { KvStore } from "../../server/store/kv.ts";
import { freshDatabase, openPg, PG_URL } from "./pg_stores.ts";
import { client, exporter, spawnServer, startServer } from "./helpers.ts";

/** alice and carol talk to `urlA`, bob to `urlB`. */
async function race(urlA: string, urlB: string): Promise<void> {
  const alice = await client(urlA, "alice");
  const bob = await client(urlB, "bob");
  const carol = await client(urlA, "carol");
  const all = [alice, bob, carol];
  const g = await alice.client.createGroup();
  const gid = g.groupId;
  await alice.client.add(gid, [bob.client.clientId, carol.client.clientId]);
  for (const c of all) await c.client.sync();

  // Raw: two commits for epoch 1 posted at once, to two servers.
  const ga = (await alice.client.group(gid))!;
  const gb = (await bob.client.group(gid))!;
  const [ca, cb] = await Promise.all([ga.update(), gb.update()]);
  const results = await Promise.allSettled([
    alice.client.http.post(gid, commitBundle(ca)),
    bob.client.http.post(gid, commitBundle(cb)),
  ]);
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r) => r.status === "rejected");
  assert.equal(won.length, 1, "exactly one commit accepted");
  assert.equal(lost.length, 1);
  const err = (lost[0] as PromiseRejectedResult).reason;
  assert.ok(err instanceof DeliveryError);
  assert.equal(err.status, 409);
  assert.equal(err.code, "epoch_conflict");
  assert.equal(err.epoch, 2);
  await (results[0].status === "rejected" ? ga : gb).clearPendingCommit();
  for (const c of all) await c.client.sync();
  for (const c of all) assert.equal((await c.client.group(gid))!.epoch, 2n);

  // Through the binding: all three commit at once, all three get in.
  for (let round = 0; round < 2; round++) {
    await Promise.all(all.map((c) => c.client.update(gid)));
    for (const c of all) await c.client.sync();
  }
  const epochs = await Promise.all(
    all.map(async (c) => (await c.client.group(gid))!.epoch),
  );
  assert.deepEqual(epochs, [8n, 8n, 8n]);
  assert.equal((await alice.client.http.group(gid)).epoch, 8);
  const secrets = await Promise.all(all.map((c) => exporter(c, gid)));
  assert.equal(new Set(secrets).size, 1, "equal exporter secrets");

  // And the group still works.
  await bob.client.send(gid, "after the race");
  await alice.client.sync();
  await carol.client.sync();
  assert.equal(alice.texts.at(-1), "after the race");
  assert.equal(carol.texts.at(-1), "after the race");

  // A long poll on one server gets a message accepted by the other. (Had
  // it been waiting and not been woken, it would end empty at its
  // deadline; the in-process wake-up is proven in api_test.ts.)
  const polled = bob.client.sync({ wait: 10 });
  await alice.client.send(gid, "across servers");
  assert.equal(await polled, 1);
  assert.equal(bob.texts.at(-1), "across servers");
}

Deno.test("server race: one commit per epoch (memory store)", async () => {
  const server = await startServer();
  try {
    await race(server.url, server.url);
  } finally {
    await server.close();
  }
});

Deno.test("server race: one commit per epoch (two processes, one Deno KV file)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-kv-" });
  const path = `${dir}/ds.kv`;
  const a = await startServer(await KvStore.open(path));
  const b = await spawnServer(["--kv", path]);
  try {
    await race(a.url, b.url);
  } finally {
    await b.stop();
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

if (PG_URL) {
  Deno.test("server race: one commit per epoch (two processes, one Postgres database)", async () => {
    const url = await freshDatabase();
    const a = await startServer(await openPg({}, url));
    const b = await spawnServer(["--postgres", url]);
    try {
      await race(a.url, b.url);
    } finally {
      await b.stop();
      await a.close();
    }
  });
}
