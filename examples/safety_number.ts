/**
 * Safety numbers (RFC 9420 §8.7, the epoch authenticator): Alice and Bob
 * compare a short code out of band to confirm they share the same epoch.
 * After every commit the code changes, and both sides still agree.
 *
 * Run: `npx deno run examples/safety_number.ts`
 */
import { MLS } from "../mod.ts";

/** Runs the example; returns what each member saw, for the test. */
export async function main(log: (line: string) => void = console.log) {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const aliceGroup = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const added = await aliceGroup.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
  );
  await aliceGroup.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);

  const before = [
    await aliceGroup.safetyNumber(),
    await bobGroup.safetyNumber(),
  ];
  log(`epoch ${aliceGroup.epoch}: alice ${before[0]}`);
  log(`epoch ${bobGroup.epoch}: bob   ${before[1]}`);

  // Bob updates his keys; both move to the next epoch and a new number.
  const update = await bobGroup.update();
  await bobGroup.receive(update);
  await aliceGroup.receive(update);
  const after = [
    await aliceGroup.safetyNumber(),
    await bobGroup.safetyNumber(),
  ];
  log(`epoch ${aliceGroup.epoch}: alice ${after[0]}`);
  log(`epoch ${bobGroup.epoch}: bob   ${after[1]}`);
  return {
    before,
    after,
    authenticators: [
      aliceGroup.details().epochAuthenticator,
      bobGroup.details().epochAuthenticator,
    ],
  };
}

if (import.meta.main) await main();
