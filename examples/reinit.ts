/**
 * Upgrading a group (RFC 9420 §11.2, ReInit): Alice, Bob and Carol talk in
 * a group of cipher suite 1 (X25519, AES-128-GCM, Ed25519); Bob commits a
 * ReInit to suite 3 (X25519, ChaCha20-Poly1305, Ed25519), which freezes the
 * old group; each member makes an identity and key package for the new
 * suite; Bob recreates the group with them and the others join it,
 * verifying that it resumes the old one. Then they keep talking. The same
 * call moves a group to a post-quantum suite once providers offer one.
 *
 * Run: `npx deno run examples/reinit.ts`
 */
import { type GroupView, MLS, MlsError } from "../mod.ts";

/** Runs the example; returns what the members saw, for the test. */
export async function main(log: (line: string) => void = console.log) {
  // One MLS (one storage) per device.
  const devices = ["alice", "bob", "carol"].map((name) => ({
    name,
    mls: new MLS(),
  }));
  const [alice, bob, carol] = await Promise.all(
    devices.map(async (d) => ({
      ...d,
      id: await d.mls.generateIdentity(), // suite 1
      credential: await d.mls.generateCredential(d.name),
    })),
  );
  const aliceGroup = await alice.mls.groupCreate(alice.id, alice.credential);
  const added = await aliceGroup.add([
    await bob.mls.generateKeyPackage(bob.id, bob.credential),
    await carol.mls.generateKeyPackage(carol.id, carol.credential),
  ]);
  await aliceGroup.receive(added);
  const bobGroup = await bob.mls.groupJoin(bob.id, added);
  const carolGroup = await carol.mls.groupJoin(carol.id, added);
  const old = [aliceGroup, bobGroup, carolGroup];
  log(`suite ${aliceGroup.cipherSuite}, ${aliceGroup.members.length} members`);

  // Bob upgrades the group: a ReInit commit everyone applies.
  const reinit = await bobGroup.reinit({ cipherSuite: 3 });
  for (const g of old) await g.receive(reinit);
  let frozen = "";
  try {
    await aliceGroup.send("still there?");
  } catch (e) {
    if (!(e instanceof MlsError)) throw e;
    frozen = e.code;
  }
  log(`old group: ${old.map((g) => g.status).join(", ")}; send: ${frozen}`);

  // Everyone publishes a key package of the new suite (same credential);
  // Bob recreates the group with them.
  const [alice3, carol3] = [alice, carol].map((m) => ({
    ...m,
    id: m.mls.generateIdentity({ cipherSuite: 3 }),
  }));
  const aliceKp = await alice.mls.generateKeyPackage(
    await alice3.id,
    alice.credential,
  );
  const carolKp = await carol.mls.generateKeyPackage(
    await carol3.id,
    carol.credential,
  );
  const bob3 = await bob.mls.generateIdentity({ cipherSuite: 3 });
  const moved = await bob.mls.groupReinit(bobGroup, bob3, [aliceKp, carolKp]);
  const newGroups: GroupView[] = [
    await alice.mls.groupJoin(await alice3.id, moved.welcome!, {
      resumes: aliceGroup,
    }),
    moved.group,
    await carol.mls.groupJoin(await carol3.id, moved.welcome!, {
      resumes: carolGroup,
    }),
  ];
  log(
    `new group: suite ${moved.group.cipherSuite}, epoch ${moved.group.epoch}, ${moved.group.members.length} members`,
  );

  // They keep talking, in the new suite.
  const heard: string[] = [];
  for (const [i, from] of newGroups.entries()) {
    const text = `hello from ${devices[i].name} in suite 3`;
    const ciphertext = await from.send(text);
    for (const to of newGroups) {
      if (to === from) continue;
      const r = await to.receive(ciphertext);
      if (r.type === "application") heard.push(r.text());
    }
  }
  log(`${heard.length} messages delivered in the new group`);
  return {
    frozen,
    statuses: old.map((g) => g.status),
    suites: newGroups.map((g) => g.cipherSuite),
    epochs: newGroups.map((g) => g.epoch),
    heard,
  };
}

if (import.meta.main) await main();
