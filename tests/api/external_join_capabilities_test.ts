/**
 * `groupJoinExternal` takes the new leaf's capabilities and leaf
 * extensions as a key package does: a group whose GroupContext requires an
 * application extension type (RFC 9420 §11.1) refuses an external joiner
 * that does not list it (`unsupported_capability`, §12.4.3.2) and takes
 * one that does — a new member, or a member resyncing.
 */
import assert from "node:assert/strict";
import { MLS, MlsError } from "../../mod.ts";

const NAME = 0xff00;

async function namedGroup() {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
    {
      extensions: {
        requiredCapabilities: { extensions: [NAME] },
        application: [{
          extensionType: NAME,
          extensionData: new TextEncoder().encode("Team"),
        }],
      },
    },
  );
  return { mls, group };
}

Deno.test("groupJoinExternal: a joiner without a required capability is refused, one with it joins", async () => {
  const { mls, group } = await namedGroup();
  const carol = await mls.generateIdentity();
  const cred = await mls.generateCredential("carol");
  const info = await group.groupInfo({ ratchetTree: true });
  await assert.rejects(
    mls.groupJoinExternal(carol, cred, info),
    (e: unknown) => {
      assert.ok(e instanceof MlsError, String(e));
      assert.equal(e.code, "unsupported_capability");
      return true;
    },
  );
  const { group: joined, commit } = await mls.groupJoinExternal(
    carol,
    cred,
    info,
    {
      capabilities: { extensions: [NAME, 0xff01] },
      leafExtensions: [{
        extensionType: 0xff01,
        extensionData: new Uint8Array([1]),
      }],
    },
  );
  await group.receive(commit);
  assert.equal(joined.epoch, group.epoch);
  assert.equal(group.members.length, 2);
  // Alice's receive validated the new leaf (§7.3): its extension's type
  // 0xff01 is listed in its capabilities (§7.2), added as for a key package.
  // The application sees the agreed name on both sides.
  assert.deepEqual(
    joined.details().extensions.application,
    group.details().extensions.application,
  );
});

Deno.test("groupJoinExternal: a member resyncs into a group that requires a capability", async () => {
  const { mls, group } = await namedGroup();
  const bob = await mls.generateIdentity();
  const bobCred = await mls.generateCredential("bob");
  const first = await mls.groupJoinExternal(
    bob,
    bobCred,
    await group.groupInfo({ ratchetTree: true }),
    { capabilities: { extensions: [NAME] } },
  );
  await group.receive(first.commit);
  // Bob lost his state: he comes back in place of his old leaf.
  const again = await mls.groupJoinExternal(
    bob,
    bobCred,
    await group.groupInfo({ ratchetTree: true }),
    { resync: true, capabilities: { extensions: [NAME] } },
  );
  await group.receive(again.commit);
  assert.equal(group.members.length, 2);
  assert.equal(again.group.epoch, group.epoch);
});

Deno.test("groupJoinExternal: capabilities are checked as a key package's", async () => {
  const { mls, group } = await namedGroup();
  const carol = await mls.generateIdentity();
  await assert.rejects(
    mls.groupJoinExternal(
      carol,
      await mls.generateCredential("carol"),
      await group.groupInfo({ ratchetTree: true }),
      { capabilities: { cipherSuites: [2] } },
    ),
    (e: unknown) => {
      assert.ok(e instanceof MlsError, String(e));
      assert.equal(e.code, "invalid_argument");
      assert.equal(e.field, "options.capabilities.cipherSuites");
      return true;
    },
  );
});
