/**
 * Cloning a group (RFC 9420 §11.3, subgroup branching): in a group of
 * Alice, Bob and Carol, Alice branches off a side conversation with Bob
 * only. The new group is tied to the old one by a resumption PSK that
 * Bob's client verifies when he joins; the old group carries on.
 *
 * Run: `npx deno run examples/branch.ts`
 */
import { MLS } from "../mod.ts";

/** Runs the example; returns what the members saw, for the test. */
export async function main(log: (line: string) => void = console.log) {
  const mls = new MLS();
  const [alice, bob, carol] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const bobCredential = await mls.generateCredential("bob");
  const aliceGroup = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const added = await aliceGroup.add([
    await mls.generateKeyPackage(bob, bobCredential),
    await mls.generateKeyPackage(carol, await mls.generateCredential("carol")),
  ]);
  await aliceGroup.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  const carolGroup = await mls.groupJoin(carol, added);

  // Alice branches with Bob (a fresh key package of his).
  const side = await aliceGroup.branch([
    await mls.generateKeyPackage(bob, bobCredential),
  ]);
  const bobSide = await mls.groupJoin(bob, side.welcome!, {
    resumes: bobGroup,
  });
  log(
    `branch ${
      side.group.groupId.slice(0, 8)
    }…: ${bobSide.members.length} members, epoch ${bobSide.epoch}`,
  );
  const r = await bobSide.receive(await side.group.send("just between us"));
  const whisper = r.type === "application" ? r.text() : "";
  log(`bob reads "${whisper}" in the branch`);

  // The old group is unchanged and still in use.
  const r2 = await carolGroup.receive(await aliceGroup.send("hi all"));
  const main = r2.type === "application" ? r2.text() : "";
  log(`carol reads "${main}" in the main group`);
  return {
    whisper,
    main,
    branchMembers: side.group.members.map((m) => m.clientId).sort(),
    expected: [alice.clientId, bob.clientId].sort(),
    groups: [aliceGroup.groupId, side.group.groupId],
    sameKey: (await side.group.safetyNumber()) ===
      (await bobSide.safetyNumber()),
  };
}

if (import.meta.main) await main();
