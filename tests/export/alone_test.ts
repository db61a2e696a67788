/**
 * The key export service deployed alone: `createApp(store, { exports,
 * delivery: false })` serves only the export routes, over the database
 * the delivery service writes (here, the same store objects).
 */
import assert from "node:assert/strict";
import { createApp } from "../../server/app.ts";
import { MemoryExportStore } from "../../server/exports/memory_store.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import { DeliveryHttp } from "../../delivery.ts";
import { ExportConsumer, generateConsumerKeys } from "../../export.ts";
import { client, startServer } from "../server/helpers.ts";

Deno.test("export service alone: export routes only, over the delivery service's store", async () => {
  const store = new MemoryStore();
  const exports = new MemoryExportStore();
  // The delivery service, without export routes.
  const delivery = await startServer(store, {});
  const edge = createApp(store, { exports, delivery: false, rateLimit: false });
  const ac = new AbortController();
  const { promise, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: ({ port }) => resolve(port),
  }, edge.fetch);
  const edgeUrl = `http://127.0.0.1:${await promise}`;
  try {
    const alice = await client(delivery.url, "alice");
    const g = await alice.client.createGroup();
    const keys = await generateConsumerKeys(1);
    await alice.client.commit(
      g.groupId,
      (v) =>
        v.authorizeConsumer({ id: "sfu", ...keys, exports: [{ label: "m" }] }),
    );
    // The delivery service has no export routes: the post failed there.
    const failed = alice.events.find((e) => e.type === "exports_failed");
    assert.ok(failed);
    // The edge has no delivery routes…
    assert.equal((await fetch(`${edgeUrl}/v1/groups`)).status, 404);
    await (await fetch(`${edgeUrl}/v1/groups`)).body?.cancel();
    // …and takes the member's exports with its token.
    const http = new DeliveryHttp(edgeUrl, alice.client.http.token);
    const view = await alice.client.group(g.groupId);
    assert.deepEqual(
      await http.postExports(g.groupId, await view!.sealExports()),
      {
        epoch: 1,
        accepted: 1,
        stored: 1,
      },
    );
    const sfu = new ExportConsumer({ url: edgeUrl, id: "sfu", keys });
    const [s] = (await sfu.fetch(g.groupId)).secrets;
    assert.deepEqual(s.secret, await view!.exportSecret("m", "", 32));
  } finally {
    ac.abort();
    await server.finished;
    await delivery.close();
  }
});
