/**
 * kill -9 and restart of the service on Deno KV loses no accepted export:
 * the consumer fetches, from the restarted process, every export accepted
 * before the kill, and they open to the members' secrets. The database
 * files hold none of the secrets.
 */
import assert from "node:assert/strict";
import { ExportConsumer, generateConsumerKeys } from "../../export.ts";
import { client, spawnServer } from "../server/helpers.ts";
import { contains } from "./fixtures.ts";

Deno.test("export service on Deno KV: kill -9 and restart loses no accepted export", async () => {
  const dir = await Deno.makeTempDir();
  const kv = `${dir}/webmls.kv`;
  const first = await spawnServer(["--kv", kv, "--no-rate-limit"]);
  let second: Awaited<ReturnType<typeof spawnServer>> | undefined;
  try {
    const alice = await client(first.url, "alice");
    const bob = await client(first.url, "bob");
    const g = await alice.client.createGroup();
    await alice.client.add(g.groupId, [bob.client.clientId]);
    await bob.client.sync();
    const keys = await generateConsumerKeys(1);
    await alice.client.commit(g.groupId, (v) =>
      v.authorizeConsumer({
        id: "recorder",
        ...keys,
        exports: [{ label: "recording", length: 32 }],
      }));
    await bob.client.sync();
    const secrets: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const [committer, other] = i % 2 ? [alice, bob] : [bob, alice];
      const before = await committer.client.group(g.groupId);
      secrets.push(await before!.exportSecret("recording", "", 32));
      await committer.client.update(g.groupId);
      await other.client.sync();
    }
    const last = await alice.client.group(g.groupId);
    secrets.push(await last!.exportSecret("recording", "", 32));
    // Every export was accepted (the commits' posts returned) before this.
    await first.kill();

    second = await spawnServer(["--kv", kv, "--no-rate-limit"]);
    const rec = new ExportConsumer({ url: second.url, id: "recorder", keys });
    const got = await rec.fetch(g.groupId, { from: 0 });
    assert.deepEqual(got.secrets.map((s) => s.epoch), [2n, 3n, 4n, 5n]);
    assert.deepEqual(got.secrets.map((s) => s.secret), secrets);
    await second.stop();
    second = undefined;
    // The database files hold no secret, only their seals.
    for await (const f of Deno.readDir(dir)) {
      const bytes = await Deno.readFile(`${dir}/${f.name}`);
      for (const s of secrets) assert.equal(contains(bytes, s), false);
    }
  } finally {
    await second?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
