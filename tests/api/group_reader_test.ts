// What a view shows of the current epoch (src/api/group_reader.ts): the
// same exported secrets across members, argument checks, the GroupInfo
// with or without the tree, the ratchet tree, details.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { decode } from "../../src/codec/codec.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import { ExtensionType } from "../../src/messages/extension.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { conversation } from "./helpers.ts";

function invalidAt(p: Promise<unknown>, field: string): Promise<void> {
  return assert.rejects(
    p,
    (e) =>
      e instanceof MlsError && e.code === "invalid_argument" &&
      e.field === field,
  );
}

Deno.test("group_reader: exportSecret agrees across members, differs by label, context and epoch", async () => {
  const { a, b } = await conversation();
  const key = await a.exportSecret("label", "ctx", 32);
  assert.equal(key.length, 32);
  assert.deepEqual(await b.exportSecret("label", "ctx", 32), key);
  assert.deepEqual(
    await b.exportSecret("label", new TextEncoder().encode("ctx"), 32),
    key,
  );
  assert.notDeepEqual(await a.exportSecret("other", "ctx", 32), key);
  assert.notDeepEqual(await a.exportSecret("label", "ctx2", 32), key);
  await a.receive(await a.update());
  assert.notDeepEqual(await a.exportSecret("label", "ctx", 32), key);
  assert.equal((await a.exportSecret("label", "ctx", 0)).length, 0);
});

Deno.test("group_reader: exportSecret checks its arguments", async () => {
  const { a } = await conversation();
  await invalidAt(a.exportSecret(1 as never, "c", 32), "label");
  await invalidAt(a.exportSecret("l", 1 as never, 32), "context");
  await invalidAt(a.exportSecret("l", "c", 0x10000), "length");
  await invalidAt(a.exportSecret("l", "c", -1), "length");
  await invalidAt(a.exportSecret("l", "c", 1.5), "length");
});

Deno.test("group_reader: groupInfo with or without the ratchet tree", async () => {
  const { a } = await conversation();
  const hasTree = (bytes: Uint8Array) => {
    const m = decode(mlsMessageCodec, bytes, "GroupInfo");
    if (!("groupInfo" in m)) throw new Error("not a GroupInfo");
    assert.equal(m.groupInfo.groupContext.epoch, a.epoch);
    return m.groupInfo.extensions.some((e) =>
      e.extensionType === ExtensionType.ratchetTree
    );
  };
  assert.equal(hasTree(await a.groupInfo({ ratchetTree: true })), true);
  assert.equal(hasTree(await a.groupInfo({ ratchetTree: false })), false);
  await invalidAt(
    a.groupInfo({ ratchetTree: "yes" as never }),
    "options.ratchetTree",
  );
});

Deno.test("group_reader: ratchetTree, details, membersByIdentity", async () => {
  const { a, b } = await conversation();
  const nodes = decode(ratchetTreeCodec, a.ratchetTree(), "tree");
  assert.equal(nodes.filter((n, i) => i % 2 === 0 && n).length, 3);
  assert.deepEqual(a.ratchetTree(), b.ratchetTree());
  const d = a.details();
  assert.deepEqual(d, {
    type: "groupDetails",
    groupId: a.groupId,
    epoch: a.epoch,
    cipherSuite: a.cipherSuite,
    members: a.members,
    // Equal across members (RFC 9420 §8.7); see protocol/safety_number_test.
    epochAuthenticator: b.details().epochAuthenticator,
    extensions: { application: [] },
  });
  assert.deepEqual(a.membersByIdentity("bob").map((m) => m.clientId), [
    b.clientId,
  ]);
  assert.deepEqual(a.membersByIdentity(new Uint8Array([1])), []);
  assert.throws(
    () => a.membersByIdentity(3 as never),
    (e) => e instanceof MlsError && e.field === "identity",
  );
  assert.equal(a.status, "active");
  assert.equal(a.handshakeWireFormat, "private");
});
