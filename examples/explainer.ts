/**
 * The explainer's walkthrough as a runnable script: Alice, Bob and Charlie
 * create a group, exchange a message, add and remove members, and derive
 * equal secrets. Every message crosses "the network" as bytes.
 *
 * Run: `npx deno task demo`
 */
import { MLS } from "../mod.ts";

const hex = (b: Uint8Array) =>
  [...b.slice(0, 8)].map((x) => x.toString(16).padStart(2, "0")).join("") + "…";
const names = new Map<string, string>();
const who = (id: string) => names.get(id) ?? id.slice(0, 8);
const step = (s: string) => console.log(`\n▸ ${s}`);

const mls = new MLS();
const alice = await mls.generateIdentity();
const bob = await mls.generateIdentity();
const charlie = await mls.generateIdentity();
names.set(alice.clientId, "alice").set(bob.clientId, "bob").set(
  charlie.clientId,
  "charlie",
);
step("identities, credentials and key packages");
for (
  const [name, id] of [["alice", alice], ["bob", bob], [
    "charlie",
    charlie,
  ]] as const
) {
  console.log(
    `  ${name}: client ${id.clientId.slice(0, 16)}…, suite ${id.cipherSuite}`,
  );
}
const bobKp = await mls.generateKeyPackage(
  bob,
  await mls.generateCredential("bob"),
);
const charlieKp = await mls.generateKeyPackage(
  charlie,
  await mls.generateCredential("charlie"),
);
console.log(
  `  key packages: ${bobKp.bytes.length} and ${charlieKp.bytes.length} bytes`,
);

step("alice creates a group and adds bob");
const aliceGroup = await mls.groupCreate(
  alice,
  await mls.generateCredential("alice"),
);
const added = await aliceGroup.add(bobKp);
await aliceGroup.receive(added.commit);
const bobGroup = await mls.groupJoin(bob, added.welcome!);
console.log(
  `  epoch ${aliceGroup.epoch}; members: ${
    aliceGroup.members.map((m) => who(m.clientId)).join(", ")
  }`,
);

step("alice sends a message");
const ciphertext = await aliceGroup.send("Hello from Alice!");
const got = await bobGroup.receive(ciphertext);
if (got.type === "application") {
  console.log(
    `  bob reads "${got.text()}" from ${
      who(got.sender.clientId)
    } (${ciphertext.length} bytes on the wire)`,
  );
}

step("alice adds charlie; everyone processes the commit");
const addCharlie = await aliceGroup.add(charlieKp);
await aliceGroup.receive(addCharlie.commit);
await bobGroup.receive(addCharlie.commit);
const charlieGroup = await mls.groupJoin(charlie, addCharlie.welcome!);
for (
  const [n, g] of [["alice", aliceGroup], ["bob", bobGroup], [
    "charlie",
    charlieGroup,
  ]] as const
) {
  console.log(`  ${n}: epoch ${g.epoch}, ${g.members.length} members`);
}

step("bob proposes to remove charlie; alice commits the proposal");
const proposal = await bobGroup.proposeRemove(charlie);
await charlieGroup.receive(proposal.proposal);
const atAlice = await aliceGroup.receive(proposal.proposal);
const commit = atAlice.type === "proposal" ? atAlice.commitOutput! : undefined!;
await aliceGroup.receive(commit.commit);
await bobGroup.receive(commit.commit);
const atCharlie = await charlieGroup.receive(commit.commit);
console.log(
  `  charlie sees: ${atCharlie.type}; alice and bob at epoch ${aliceGroup.epoch} / ${bobGroup.epoch}`,
);
console.log(
  `  members: ${aliceGroup.members.map((m) => who(m.clientId)).join(", ")}`,
);

step("exported secrets");
const a = await aliceGroup.exportSecret("file sharing key", "file-1", 32);
const b = await bobGroup.exportSecret("file sharing key", "file-1", 32);
const other = await aliceGroup.exportSecret("file sharing key", "file-2", 32);
console.log(
  `  alice ${hex(a)}\n  bob   ${hex(b)}  equal: ${
    a.every((x, i) => x === b[i])
  }`,
);
console.log(
  `  another context: ${hex(other)}  equal: ${
    other.every((x, i) => x === a[i])
  }`,
);
