// External senders and proposals (RFC 9420 §12.1.8) through the public
// API: a listed service proposes, members commit; others are refused.
import assert from "node:assert/strict";
import { MLS, MlsError } from "../../../mod.ts";
import { main } from "../../../examples/external_proposals.ts";

const code = (c: string, field?: string) => (e: unknown) =>
  e instanceof MlsError && e.code === c &&
  (field === undefined || e.field === field);

Deno.test("external proposals: a listed service adds and removes, members commit (example)", async () => {
  const r = await main(() => {});
  assert.equal(r.atBob, "removed");
  assert.deepEqual(r.sender, { kind: "external", index: 0 });
  assert.deepEqual(r.members.sort(), r.expected.sort());
  assert.equal(r.carolEpoch, r.aliceEpoch);
  assert.equal(r.rogueRefused, "invalid_sender");
});

Deno.test("external proposals: the authorize hook sees the external sender; wrong inputs are refused", async () => {
  const seen: string[] = [];
  const mls = new MLS({
    autoCommit: false,
    authorize: (req) => {
      seen.push(req.sender.kind);
      return req.sender.kind !== "external";
    },
  });
  const [alice, bob, bot] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
    {
      extensions: {
        externalSenders: [{
          ...bot,
          credential: await mls.generateCredential("bot"),
        }],
      },
      config: { ratchetTreeExtension: false },
    },
  );
  await group.receive(
    await group.add(
      await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
    ),
  );
  const info = await group.groupInfo();
  // No tree in the GroupInfo: a client id cannot be resolved...
  await assert.rejects(
    mls.externalProposal(bot, info, { remove: bob.clientId }),
    code("invalid_argument", "options.ratchetTree"),
  );
  // ...unless the tree is given; an unknown client id is unknown_member.
  const ratchetTree = group.ratchetTree();
  await assert.rejects(
    mls.externalProposal(bot, info, { remove: "ab".repeat(32) }, {
      ratchetTree,
    }),
    code("unknown_member"),
  );
  const byLeaf = await mls.externalProposal(bot, info, { remove: 1 });
  const epoch = group.epoch;
  await assert.rejects(group.receive(byLeaf), code("unauthorized"));
  assert.deepEqual(seen, ["external"]);
  assert.equal(group.epoch, epoch);
  // A service on another suite, or a GroupInfo that is not one.
  const p256 = await mls.generateIdentity({ cipherSuite: 2 });
  await assert.rejects(
    mls.externalProposal(p256, info, { remove: 1 }),
    code("cipher_suite_mismatch"),
  );
  await assert.rejects(
    mls.externalProposal(bot, await group.send("hi"), { remove: 1 }),
    code("invalid_wire_format"),
  );
  await assert.rejects(
    // @ts-expect-error: neither add nor remove
    mls.externalProposal(bot, info, { update: 1 }),
    code("invalid_argument", "proposal"),
  );
});
