// The calls that change a group (src/api/group_view.ts), each a thin entry
// point: what each hands on, and what it returns.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { conversation, rejectsUnchanged } from "./helpers.ts";

Deno.test("group_view: close() removes every other member", async () => {
  const { a, b, c } = await conversation();
  const out = await a.close();
  const r = await a.receive(out.commit);
  assert.ok(r.type === "commit");
  assert.deepEqual(
    r.removed.map((m) => m.clientId).sort(),
    [b.clientId, c.clientId].sort(),
  );
  assert.deepEqual(a.members.map((m) => m.clientId), [a.clientId]);
  assert.equal((await b.receive(out.commit)).type, "removed");
});

Deno.test("group_view: proposeRemove returns one output, or an array for { identity }", async () => {
  const { mls, a, b, c } = await conversation({ autoCommit: false });
  const one = await a.proposeRemove(c.clientId);
  assert.equal(Array.isArray(one), false);
  assert.equal(one.type, "proposal");
  const many = await a.proposeRemove({ identity: "bob" });
  assert.ok(Array.isArray(many));
  assert.equal(many.length, 1);
  await rejectsUnchanged(
    mls,
    a,
    () => a.proposeRemove({ identity: "nobody" }),
    "unknown_member",
  );
  const r = await b.receive(many[0].proposal);
  assert.ok(r.type === "proposal" && r.proposal.kind === "remove");
  assert.equal(r.proposal.member.clientId, b.clientId);
});

Deno.test("group_view: remove() refuses an empty list and the committer alone", async () => {
  const { mls, a } = await conversation();
  await rejectsUnchanged(mls, a, () => a.remove([]), "invalid_argument");
  await rejectsUnchanged(
    mls,
    a,
    () => a.remove({ identity: "alice" }),
    "remove_committer",
  );
});

Deno.test("group_view: add() takes one key package or several, naming a bad one", async () => {
  const { mls, a } = await conversation();
  const [dan, eve] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const kps = [
    await mls.generateKeyPackage(dan, await mls.generateCredential("dan")),
    await mls.generateKeyPackage(eve, await mls.generateCredential("eve")),
  ];
  await assert.rejects(
    a.add([kps[0], new Uint8Array([1, 2, 3])]),
    (e) =>
      e instanceof MlsError && e.field?.startsWith("keyPackages.1") === true,
  );
  const out = await a.add(kps);
  const r = await a.receive(out.commit);
  assert.ok(r.type === "commit");
  assert.equal(r.added.length, 2);
});

Deno.test("group_view: setHandshakeWireFormat() switches commits to PublicMessage", async () => {
  const { a } = await conversation();
  await a.setHandshakeWireFormat("public");
  assert.equal(a.handshakeWireFormat, "public");
  const out = await a.update();
  // wire_format (uint16) after the version: 1 = mls_public_message.
  assert.deepEqual([...out.commit.subarray(2, 4)], [0, 1]);
});
