/**
 * Consumers' exports over a WebSocket: the stored ones at once, later
 * epochs as they are accepted, each equal to the members' exportSecret;
 * a consumer the group does not list gets the stream closed, nothing.
 */
import assert from "node:assert/strict";
import { ExportConsumer, type ExportedSecret } from "../../export.ts";
import {
  consumerInput,
  consumerKeys,
  groupWithServer,
  view,
} from "./fixtures.ts";

Deno.test("export stream: stored and new exports arrive over the WebSocket", async () => {
  const f = await groupWithServer();
  const ac = new AbortController();
  try {
    const keys = await consumerKeys();
    await f.alice.client.commit(
      f.groupId,
      (g) => g.authorizeConsumer(consumerInput("sfu", keys)),
    );
    await f.bob.client.sync();
    const sfu = new ExportConsumer({ url: f.server.url, id: "sfu", keys });
    const got: ExportedSecret[] = [];
    const expected: Uint8Array[] = [];
    const reading = (async () => {
      for await (const e of sfu.stream(f.groupId, { signal: ac.signal })) {
        got.push(e);
        if (got.length === 3) ac.abort();
      }
    })();
    for (let i = 0; i < 2; i++) {
      const g = await view(f.alice, f.groupId);
      expected.push(await g.exportSecret("media", "call-1", 32));
      await f.bob.client.update(f.groupId);
      await f.alice.client.sync();
    }
    const g = await view(f.bob, f.groupId);
    expected.push(await g.exportSecret("media", "call-1", 32));
    await reading;
    assert.deepEqual(got.map((e) => e.epoch), [2n, 3n, 4n]);
    assert.deepEqual(got.map((e) => e.secret), expected);

    // A consumer the group never listed: closed at once, nothing.
    const mallory = new ExportConsumer({
      url: f.server.url,
      id: "mallory",
      keys: await consumerKeys(),
    });
    const none: ExportedSecret[] = [];
    for await (const e of mallory.stream(f.groupId)) none.push(e);
    assert.deepEqual(none, []);
  } finally {
    ac.abort();
    await f.close();
  }
});
