/**
 * External senders and proposals (RFC 9420 §12.1.8): the group lists a
 * moderation service as an external sender; the service, which is not a
 * member and keeps no group state, proposes to add Carol and to remove
 * Bob from the group's GroupInfo alone, and Alice commits each proposal. A client the group does not list cannot
 * propose.
 *
 * Run: `npx deno run examples/external_proposals.ts`
 */
import { type GroupView, MLS, MlsError, type Received } from "../mod.ts";

/** Runs the example; returns what the members saw, for the test. */
export async function main(log: (line: string) => void = console.log) {
  // Members commit by hand here: Alice, when a proposal arrives.
  const members = new MLS({ autoCommit: false });
  const service = new MLS(); // the service's own device and storage
  const [alice, bob, carol] = [
    await members.generateIdentity(),
    await members.generateIdentity(),
    await members.generateIdentity(),
  ];
  const bot = await service.generateIdentity();
  const rogue = await service.generateIdentity();
  const aliceGroup = await members.groupCreate(
    alice,
    await members.generateCredential("alice"),
    {
      extensions: {
        externalSenders: [{
          ...bot,
          credential: await service.generateCredential("moderation bot"),
        }],
      },
    },
  );
  const added = await aliceGroup.add(
    await members.generateKeyPackage(
      bob,
      await members.generateCredential("bob"),
    ),
  );
  await aliceGroup.receive(added);
  const bobGroup = await members.groupJoin(bob, added);

  /**
   * The delivery service fans a proposal out to the members; Alice
   * commits it, and the commit goes to everyone.
   */
  const deliver = async (proposal: Uint8Array, to: GroupView[]) => {
    const r: Received = await aliceGroup.receive(proposal);
    if (r.type !== "proposal") throw new Error("not a proposal");
    for (const g of to) await g.receive(proposal);
    const sender = r.sender.kind === "external" ? r.sender.index : -1;
    log(`alice commits a ${r.proposal.kind} from external sender ${sender}`);
    const commit = await aliceGroup.commit();
    await aliceGroup.receive(commit);
    return { commit, sender: r.sender };
  };

  // The bot adds Carol, from her key package.
  const addCarol = await deliver(
    await service.externalProposal(bot, await aliceGroup.groupInfo(), {
      add: await members.generateKeyPackage(
        carol,
        await members.generateCredential("carol"),
      ),
    }),
    [bobGroup],
  );
  await bobGroup.receive(addCarol.commit);
  const carolGroup = await members.groupJoin(carol, addCarol.commit);

  // The bot removes Bob, named by client id (the GroupInfo has the tree).
  const removeBob = await deliver(
    await service.externalProposal(bot, await aliceGroup.groupInfo(), {
      remove: bob.clientId,
    }),
    [bobGroup, carolGroup],
  );
  const atBob = await bobGroup.receive(removeBob.commit);
  await carolGroup.receive(removeBob.commit);
  log(`bob sees: ${atBob.type}; members: ${aliceGroup.members.length}`);

  // A client the group does not list is refused by the service call.
  let rogueRefused = "";
  try {
    await service.externalProposal(rogue, await aliceGroup.groupInfo(), {
      remove: carol.clientId,
    });
  } catch (e) {
    if (!(e instanceof MlsError)) throw e;
    rogueRefused = e.code;
    log(`an unlisted client: ${e.code}`);
  }
  return {
    atBob: atBob.type,
    sender: removeBob.sender,
    members: aliceGroup.members.map((m) => m.clientId),
    expected: [alice.clientId, carol.clientId],
    carolEpoch: carolGroup.epoch,
    aliceEpoch: aliceGroup.epoch,
    rogueRefused,
  };
}

if (import.meta.main) await main();
