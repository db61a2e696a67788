/**
 * External pre-shared keys (RFC 9420 §8.4): Alice and Bob, on their own
 * devices, share a secret agreed out of band (say a code scanned from a
 * QR code) and inject it into the group's key schedule, so that even an
 * attacker holding every other key of the group cannot follow the next
 * epoch without it. Carol joins with a Welcome that needs the PSK too.
 *
 * Run: `npx deno run examples/psk.ts`
 */
import { MLS, MlsError } from "../mod.ts";

/** Runs the example; returns what the members saw, for the test. */
export async function main(log: (line: string) => void = console.log) {
  // One MLS (one storage) per device; Bob leaves committing to Alice.
  const [aliceMls, bobMls, carolMls] = [
    new MLS(),
    new MLS({ autoCommit: false }),
    new MLS(),
  ];
  const alice = await aliceMls.generateIdentity();
  const bob = await bobMls.generateIdentity();
  const carol = await carolMls.generateIdentity();
  const aliceGroup = await aliceMls.groupCreate(
    alice,
    await aliceMls.generateCredential("alice"),
  );
  const added = await aliceGroup.add(
    await bobMls.generateKeyPackage(
      bob,
      await bobMls.generateCredential("bob"),
    ),
  );
  await aliceGroup.receive(added);
  const bobGroup = await bobMls.groupJoin(bob, added);

  // The secret both scanned; each device stores it by the same id.
  const scanned = crypto.getRandomValues(new Uint8Array(32));
  await aliceMls.storePsk("qr-2026-11", scanned);
  await bobMls.storePsk("qr-2026-11", scanned);
  const injected = await aliceGroup.addPsk("qr-2026-11");
  await aliceGroup.receive(injected);
  await bobGroup.receive(injected);
  log(`epoch ${aliceGroup.epoch}: the PSK is in the key schedule`);

  // Alice proposes the PSK again and adds Carol in the same commit: the
  // Welcome names the PSK, so Carol needs it to join.
  await bobGroup.receive(await aliceGroup.proposePsk("qr-2026-11"));
  const withCarol = await aliceGroup.add(
    await carolMls.generateKeyPackage(
      carol,
      await carolMls.generateCredential("carol"),
    ),
  );
  await aliceGroup.receive(withCarol);
  await bobGroup.receive(withCarol);
  let firstTry = "";
  try {
    await carolMls.groupJoin(carol, withCarol);
  } catch (e) {
    if (!(e instanceof MlsError)) throw e;
    firstTry = e.code;
    log(`carol without the PSK: ${e.code}`);
  }
  await carolMls.storePsk("qr-2026-11", scanned);
  const carolGroup = await carolMls.groupJoin(carol, withCarol);
  log(`carol joined at epoch ${carolGroup.epoch}`);
  const secrets = await Promise.all(
    [aliceGroup, bobGroup, carolGroup].map((g) => g.exportSecret("x", "", 16)),
  );
  // Done with it: each device deletes the secret.
  for (const m of [aliceMls, bobMls, carolMls]) await m.deletePsk("qr-2026-11");
  return { firstTry, secrets, epochs: [aliceGroup.epoch, carolGroup.epoch] };
}

if (import.meta.main) await main();
