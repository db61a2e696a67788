/**
 * Both `ExportStore`s keep the same contract: the first accepted export
 * wins, listing is by epoch from a given one, a consumer's key is kept,
 * a nonce is refused until it expires.
 */
import assert from "node:assert/strict";
import { KvExportStore } from "../../server/exports/kv_store.ts";
import { MemoryExportStore } from "../../server/exports/memory_store.ts";
import type { ExportStore, StoredExport } from "../../server/exports/store.ts";

const ex = (epoch: number, fill: number, label = 1): StoredExport => ({
  consumerId: "6166",
  epoch,
  label: new Uint8Array([label]),
  context: new Uint8Array(0),
  kemOutput: new Uint8Array(32).fill(fill),
  ciphertext: new Uint8Array(48).fill(fill),
});

async function contract(store: ExportStore) {
  const key = { consumerId: "6166", signatureKey: new Uint8Array([7]) };
  assert.equal(await store.putExports("aa", [key], [ex(2, 1), ex(10, 1)]), 2);
  // The same export again (other bytes) is kept as first stored.
  assert.equal(await store.putExports("aa", [key], [ex(2, 9), ex(3, 1)]), 1);
  assert.equal(await store.putExports("bb", [], [ex(4, 1, 2)]), 1);
  const all = await store.listExports("aa", "6166", 0, 10);
  assert.deepEqual(all.map((e) => e.epoch), [2, 3, 10]);
  assert.deepEqual(all[0].ciphertext, ex(2, 1).ciphertext);
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
}

Deno.test("export store contract: memory", async () => {
  await contract(new MemoryExportStore());
});

Deno.test("export store contract: Deno KV", async () => {
  const store = new KvExportStore(await Deno.openKv(":memory:"));
  try {
    await contract(store);
  } finally {
    store.close();
  }
});
