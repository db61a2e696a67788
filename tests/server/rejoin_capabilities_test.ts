/**
 * A `DeliveryClient` re-joins by external commit with its own
 * capabilities (`DeliveryClientOptions.capabilities`), so a group whose
 * GroupContext requires an application extension type (RFC 9420 §11.1,
 * like the chat's group name 0xff00) takes it back by resync; a client
 * without the capability is refused (`unsupported_capability`).
 */
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import { client, startServer } from "./helpers.ts";

const NAME = 0xff00;

Deno.test("rejoin: a client resyncs into a group requiring its capability; one without it is refused", async () => {
  const server = await startServer(new MemoryStore());
  try {
    const capabilities = { extensions: [NAME] };
    const alice = await client(server.url, "alice", { capabilities });
    const bob = await client(server.url, "bob", { capabilities });
    const carol = await client(server.url, "carol");
    const g = await alice.client.createGroup({
      externalJoins: true,
      extensions: {
        requiredCapabilities: { extensions: [NAME] },
        application: [{
          extensionType: NAME,
          extensionData: new TextEncoder().encode("Team"),
        }],
      },
    });
    await alice.client.add(g.groupId, [bob.client.clientId]);
    await bob.client.sync();
    // Bob comes back in place of his leaf, with his capabilities.
    const back = await bob.client.joinExternal(g.groupId, { resync: true });
    await alice.client.sync();
    const view = await alice.client.group(g.groupId);
    assert.equal(view?.epoch, back.epoch);
    assert.equal(view?.members.length, 2);
    await bob.client.send(g.groupId, "back");
    await alice.client.sync();
    assert.deepEqual(alice.texts, ["back"]);
    // Carol's leaf would not list the type.
    await assert.rejects(
      carol.client.joinExternal(g.groupId),
      (e: unknown) => {
        assert.ok(e instanceof MlsError, String(e));
        assert.equal(e.code, "unsupported_capability");
        return true;
      },
    );
  } finally {
    await server.close();
  }
});
