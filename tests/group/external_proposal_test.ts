// External proposals (§12.1.8): a delivery service listed in
// external_senders proposes a removal; a client asks to join with a
// new_member_proposal; members commit both. Unlisted senders are refused.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { createCommit } from "../../src/group/commit.ts";
import { createGroup } from "../../src/group/create.ts";
import {
  externalProposal,
  externalSendersExtension,
  newMemberProposal,
} from "../../src/group/external_proposal.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import { MlsError } from "../../src/errors.ts";
import { client, keyPackageOf, wire } from "./helpers.ts";

Deno.test("external sender removes a member; new member asks to join", async () => {
  const cs = await defaultProvider().suite(1);
  const [alice, bob, carol] = await Promise.all(
    ["alice", "bob", "carol"].map((n) => client(cs, n)),
  );
  const ds = await cs.signatureGenerateKeyPair();
  const rogue = await cs.signatureGenerateKeyPair();
  const a0 = await createGroup(cs, alice.credential, alice.signer, {
    extensions: [externalSendersExtension([{
      signatureKey: ds.publicKey,
      credential: {
        credentialType: 1,
        identity: new TextEncoder().encode("ds"),
      },
    }])],
  });
  const kpB = await keyPackageOf(cs, bob);
  const add = await createCommit(a0, {
    proposals: [{ proposalType: 1, keyPackage: kpB.keyPackage }],
  });
  let a = add.state;
  let { state: b } = await joinFromWelcome(cs, add.welcome!, {
    keyPackage: kpB.keyPackage,
    ...kpB.privateKeys,
    signer: bob.signer.privateKey,
  });
  const target = { groupId: a.context.groupId, epoch: a.context.epoch };

  // A signer not in external_senders is refused.
  const forged = await externalProposal(cs, target, 0, rogue.privateKey, {
    proposalType: 3,
    removed: 1,
  });
  await assert.rejects(
    receiveMessage(a, wire(forged)),
    (e) => e instanceof MlsError && e.code === "invalid_signature",
  );
  // An index beyond the list is not a sender at all.
  const noSuch = await externalProposal(cs, target, 5, ds.privateKey, {
    proposalType: 3,
    removed: 1,
  });
  await assert.rejects(
    receiveMessage(a, wire(noSuch)),
    (e) => e instanceof MlsError && e.code === "invalid_sender",
  );
  // External senders cannot send Updates (§12.1.8).
  await assert.rejects(
    externalProposal(cs, target, 0, ds.privateKey, {
      proposalType: 2,
      leafNode: a.tree.getLeaf(0)!,
    }),
    MlsError,
  );

  // Carol asks to join; the DS proposes removing Bob; Alice commits both.
  const kpC = await keyPackageOf(cs, carol);
  const join = await newMemberProposal(
    cs,
    target,
    kpC.keyPackage,
    carol.signer.privateKey,
  );
  const rm = await externalProposal(cs, target, 0, ds.privateKey, {
    proposalType: 3,
    removed: 1,
  });
  for (const m of [join, rm]) {
    const ra = await receiveMessage(a, wire(m));
    const rb = await receiveMessage(b, wire(m));
    assert.equal(ra.kind, "proposal");
    if (ra.kind === "proposal") a = ra.state;
    if (rb.kind === "proposal") b = rb.state;
  }
  const c = await createCommit(a);
  assert.deepEqual(c.summary.removed, [1]);
  assert.equal(c.summary.added.length, 1);
  const rb = await receiveMessage(b, wire(c.message));
  assert.equal(rb.kind, "removed");
  const { state: carolState } = await joinFromWelcome(cs, c.welcome!, {
    keyPackage: kpC.keyPackage,
    ...kpC.privateKeys,
    signer: carol.signer.privateKey,
  });
  assert.equal(carolState.context.epoch, c.state.context.epoch);
  assert.deepEqual(
    carolState.keys.epochAuthenticator,
    c.state.keys.epochAuthenticator,
  );
});
