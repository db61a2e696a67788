// Group context extensions (RFC 9420 §11.1, §12.1.7) through the public
// API: set at creation, changed by commit or proposal, read from details().
import assert from "node:assert/strict";
import { MLS, MlsError } from "../../../mod.ts";
import { main } from "../../../examples/group_extensions.ts";

const code = (c: string) => (e: unknown) =>
  e instanceof MlsError && e.code === c;
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("group extensions: the example names a group, keeps out a client without support, admits an external sender", async () => {
  const r = await main(() => {});
  assert.deepEqual(r.names, ["Project Y", "Project Y"]);
  assert.equal(r.carolRefused, "unsupported_capability");
  assert.equal(r.externalSenders.length, 1);
  assert.equal(
    r.externalSenders[0].credentialType === "basic" &&
      r.externalSenders[0].name,
    "delivery service",
  );
  assert.deepEqual(r.required, {
    extensions: [0xff00],
    proposals: [],
    credentials: [],
  });
});

Deno.test("group extensions: proposed by one member, committed by another; refused when a member lacks support", async () => {
  const mls = new MLS({ autoCommit: false });
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
    { capabilities: { extensions: [0xff01] } },
  );
  assert.deepEqual(group.details().extensions, { application: [] });
  const added = await group.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
  );
  await group.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  // Bob's client does not list 0xff01: a commit that needs it fails and
  // nothing changes.
  const before = group.epoch;
  await assert.rejects(
    group.setExtensions({
      application: [{ extensionType: 0xff01, extensionData: bytes("x") }],
    }),
    code("unsupported_group_extension"),
  );
  assert.equal(group.epoch, before);
  assert.equal(group.hasPendingCommit, false);
  // A default type needs no capability: Bob proposes, Alice commits.
  const proposal = await bobGroup.proposeExtensions({
    requiredCapabilities: { credentials: [1] },
  });
  const got = await group.receive(proposal);
  assert.deepEqual(got.type === "proposal" && got.proposal, {
    kind: "group_context_extensions",
    extensions: {
      requiredCapabilities: { extensions: [], proposals: [], credentials: [1] },
      application: [],
    },
  });
  const commit = await group.commit();
  await group.receive(commit);
  await bobGroup.receive(commit);
  for (const g of [group, bobGroup]) {
    assert.deepEqual(g.details().extensions.requiredCapabilities, {
      extensions: [],
      proposals: [],
      credentials: [1],
    });
  }
});

Deno.test("group extensions: inputs are checked at the boundary", async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const cred = await mls.generateCredential("alice");
  const group = await mls.groupCreate(alice, cred);
  const bad = (e: unknown, field: string) =>
    e instanceof MlsError && e.code === "invalid_argument" && e.field === field;
  await assert.rejects(
    group.setExtensions({
      application: [{ extensionType: 3, extensionData: new Uint8Array() }],
    }),
    (e) => bad(e, "extensions.application.0.extensionType"),
  );
  await assert.rejects(
    group.setExtensions({
      application: [
        { extensionType: 0xff00, extensionData: new Uint8Array() },
        { extensionType: 0xff00, extensionData: new Uint8Array() },
      ],
    }),
    (e) => bad(e, "extensions.application.1.extensionType"),
  );
  await assert.rejects(
    // @ts-expect-error: not bytes
    group.setExtensions({ externalSenders: [{ signaturePublicKey: "k" }] }),
    (e) => bad(e, "extensions.externalSenders.0.signaturePublicKey"),
  );
  // A creator whose capabilities leave out the group's own extension.
  await assert.rejects(
    mls.groupCreate(alice, cred, {
      extensions: {
        application: [{ extensionType: 0xff00, extensionData: bytes("n") }],
      },
      capabilities: { extensions: [] },
    }),
    code("unsupported_capabilities"),
  );
});

Deno.test("group extensions: an authorize hook sees the proposed set and refuses an external sender", async () => {
  const mls = new MLS({
    authorize: (req) =>
      !req.proposals.some((p) =>
        p.kind === "group_context_extensions" &&
        (p.extensions?.externalSenders?.length ?? 0) > 0
      ),
  });
  const [alice, bob, bot] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const added = await group.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
  );
  await group.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  const commit = await group.setExtensions({
    externalSenders: [{
      ...bot,
      credential: await mls.generateCredential("bot"),
    }],
  });
  await assert.rejects(bobGroup.receive(commit), code("unauthorized"));
  assert.equal(bobGroup.epoch, 1n);
  assert.equal(bobGroup.details().extensions.externalSenders, undefined);
});
