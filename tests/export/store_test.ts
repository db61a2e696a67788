/**
 * Both `ExportStore`s keep the same contract: one copy per export and
 * poster, never replaced; at most `maxCopies` copies of an export (a post
 * that would go beyond stores nothing); listing by epoch from a given one;
 * a subscriber wakes when its consumer's exports are stored; a consumer's
 * key is kept; a nonce is refused until it expires.
 */
import assert from "node:assert/strict";
import { KvExportStore } from "../../server/exports/kv_store.ts";
import { MemoryExportStore } from "../../server/exports/memory_store.ts";
import type { ExportStore, StoredExport } from "../../server/exports/store.ts";
import { openPg, PG_URL } from "../server/pg_stores.ts";

const ex = (
  epoch: number,
  fill: number,
  o: { label?: number; poster?: number } = {},
): StoredExport => ({
  consumerId: "6166",
  epoch,
  label: new Uint8Array([o.label ?? 1]),
  context: new Uint8Array(0),
  poster: o.poster ?? 0,
  kemOutput: new Uint8Array(32).fill(fill),
  ciphertext: new Uint8Array(48).fill(fill),
});

async function contract(store: ExportStore) {
  const key = { consumerId: "6166", signatureKey: new Uint8Array([7]) };
  const sub = await store.subscribe("aa", "6166");
  const other = await store.subscribe("aa", "6167");
  assert.deepEqual(
    await store.putExports("aa", [key], [ex(2, 1), ex(10, 1)], 3),
    { stored: 2 },
  );
  assert.equal(await sub.changed(5000), true);
  assert.equal(await other.changed(0), false);
  // The same poster again (other bytes): its first copy stays. Another
  // poster's copy of epoch 2 is kept beside it.
  assert.deepEqual(
    await store.putExports("aa", [key], [ex(2, 9), ex(3, 1)], 3),
    { stored: 1 },
  );
  assert.deepEqual(
    await store.putExports("aa", [], [ex(2, 5, { poster: 4 })], 3),
    { stored: 1 },
  );
  assert.deepEqual(
    await store.putExports("aa", [], [ex(2, 6, { poster: 2 })], 3),
    { stored: 1 },
  );
  // A fourth copy is one too many: nothing of that post is stored.
  assert.deepEqual(
    await store.putExports("aa", [], [
      ex(11, 1, { poster: 3 }),
      ex(2, 7, { poster: 3 }),
    ], 3),
    { full: true },
  );
  assert.deepEqual(await store.putExports("bb", [], [ex(4, 1)], 3), {
    stored: 1,
  });
  const all = await store.listExports("aa", "6166", 0, 10);
  assert.deepEqual(all.map((e) => [e.epoch, e.poster]), [
    [2, 0],
    [2, 2],
    [2, 4],
    [3, 0],
    [10, 0],
  ]);
  assert.deepEqual(all[0].ciphertext, ex(2, 1).ciphertext);
  assert.deepEqual(all[2].ciphertext, ex(2, 5).ciphertext);
  assert.deepEqual(
    (await store.listExports("aa", "6166", 3, 1)).map((e) => e.epoch),
    [3],
  );
  assert.deepEqual(await store.listExports("aa", "6167", 0, 10), []);
  assert.deepEqual(
    (await store.consumer("aa", "6166"))?.signatureKey,
    key.signatureKey,
  );
  assert.equal(await store.consumer("bb", "6166"), null);
  assert.equal(await store.useNonce("n1", 1000, 2000), true);
  assert.equal(await store.useNonce("n1", 1500, 2500), false);
  assert.equal(await store.useNonce("n1", 2001, 3000), true); // expired
  assert.equal(await store.useNonce("n2", 1500, 2500), true);
  sub.close();
  other.close();
  assert.equal(await sub.changed(5000), false); // closed: no wait
}

Deno.test("export store contract: memory", async () => {
  const store = new MemoryExportStore();
  await contract(store);
  store.close();
});

Deno.test("export store contract: Deno KV", async () => {
  const store = new KvExportStore(await Deno.openKv(":memory:"));
  try {
    await contract(store);
  } finally {
    store.close();
  }
});

Deno.test("export store: a Deno KV subscriber wakes on another process's store", async () => {
  // A local database file does not push one process's writes to another's
  // kv.watch: the shared head re-read must see the writer's bump.
  const dir = await Deno.makeTempDir({ prefix: "webmls-export-kv-" });
  const path = `${dir}/exports.kv`;
  const reader = new KvExportStore(await Deno.openKv(path));
  try {
    const sub = await reader.subscribe("aa", "6166");
    const writer = `${dir}/writer.ts`;
    await Deno.writeTextFile(
      writer,
      `import { KvExportStore } from ${
        JSON.stringify(
          new URL("../../server/exports/kv_store.ts", import.meta.url).href,
        )
      };
const store = await KvExportStore.open(${JSON.stringify(path)});
await store.putExports("aa", [], [{
  consumerId: "6166", epoch: 5, label: new Uint8Array([1]),
  context: new Uint8Array(0), poster: 0,
  kemOutput: new Uint8Array(32), ciphertext: new Uint8Array(48),
}], 3);
store.close();
`,
    );
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--unstable-kv", writer],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(await sub.changed(30_000), true);
    assert.deepEqual(
      (await reader.listExports("aa", "6166", 0, 10)).map((e) => e.epoch),
      [5],
    );
    sub.close();
  } finally {
    reader.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

if (PG_URL) {
  Deno.test("export store contract: Postgres", async () => {
    const pg = await openPg();
    try {
      await contract(pg.exports());
    } finally {
      await pg.close();
    }
  });
}
