// A group name every member agrees on, through the delivery client: an
// application group context extension (RFC 9420 §12.1.7) in groups made by
// createGroup({ extensions }), with the extension type in every client's
// capabilities (§13.4), renamed by a GroupContextExtensions commit.
import assert from "node:assert/strict";
import type { GroupView } from "../../mod.ts";
import { client, startServer } from "./helpers.ts";

const NAME = 0xff00;
const caps = { capabilities: { extensions: [NAME] } };
const utf8 = new TextEncoder();

function nameOf(g: GroupView | null): string | undefined {
  const e = g?.details().extensions.application?.find((x) =>
    x.extensionType === NAME
  );
  return e && new TextDecoder().decode(e.extensionData);
}

Deno.test("group name: set at creation, agreed by a member added later, renamed by commit", async () => {
  const srv = await startServer();
  try {
    const alice = (await client(srv.url, "alice", caps)).client;
    const bob = (await client(srv.url, "bob", caps)).client;
    const g = await alice.createGroup({
      extensions: {
        application: [{
          extensionType: NAME,
          extensionData: utf8.encode("Team"),
        }],
      },
    });
    await alice.add(g.groupId, [bob.clientId]);
    await bob.sync();
    assert.equal(nameOf(await bob.group(g.groupId)), "Team");
    await bob.commit(g.groupId, (v) =>
      v.setExtensions({
        ...v.details().extensions,
        application: [{
          extensionType: NAME,
          extensionData: utf8.encode("Team 2"),
        }],
      }));
    await alice.sync();
    assert.equal(nameOf(await alice.group(g.groupId)), "Team 2");
    assert.equal(nameOf(await bob.group(g.groupId)), "Team 2");
  } finally {
    await srv.close();
  }
});

Deno.test("group name: a client without the capability cannot be added", async () => {
  const srv = await startServer();
  try {
    const alice = (await client(srv.url, "alice", caps)).client;
    const carol = (await client(srv.url, "carol")).client;
    const g = await alice.createGroup({
      extensions: {
        application: [{ extensionType: NAME, extensionData: utf8.encode("X") }],
      },
    });
    await assert.rejects(alice.add(g.groupId, [carol.clientId]));
    assert.equal((await alice.group(g.groupId))?.members.length, 1);
  } finally {
    await srv.close();
  }
});
