// End-to-end group scenarios for every cipher suite: create, add several in
// one commit, join, messages, update, remove, propose-and-commit by another
// member, PSK, external join, resync, exporter secrets.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { createCommit, welcomeMessage } from "../../src/group/commit.ts";
import { createGroup } from "../../src/group/create.ts";
import { joinExternal } from "../../src/group/external_join.ts";
import { groupInfoFor } from "../../src/group/group_info.ts";
import {
  propose,
  proposeUpdate,
  sendApplication,
} from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import { PSKType } from "../../src/messages/psk.ts";
import { client, keyPackageOf, welcomeOf, wire } from "./helpers.ts";

const provider = defaultProvider();
const text = (s: string) => new TextEncoder().encode(s);

async function exporter(s: GroupState, label = "test", ctx = "c") {
  return await mlsExporter(s.cs, s.keys.exporterSecret, label, text(ctx), 32);
}

/** Delivers `msg` to every state in `members`, returning their new states. */
async function deliver(
  members: Map<string, GroupState>,
  msg: Parameters<typeof receiveMessage>[1],
  except: string,
) {
  for (const [name, s] of members) {
    if (name === except) continue;
    const r = await receiveMessage(s, wire(msg));
    assert.ok(
      r.kind === "commit" || r.kind === "proposal" || r.kind === "removed",
      `${name}: ${r.kind}`,
    );
    members.set(name, r.state);
  }
}

for (const suite of provider.supportedSuites) {
  Deno.test(`group scenario, suite ${suite}`, async () => {
    const cs = await provider.suite(suite);
    const [alice, bob, charlie, dave] = await Promise.all(
      ["alice", "bob", "charlie", "dave"].map((n) => client(cs, n)),
    );
    const members = new Map<string, GroupState>();
    members.set("alice", await createGroup(cs, alice.credential, alice.signer));

    // Alice adds Bob and Charlie in one commit.
    const [kpB, kpC] = await Promise.all([
      keyPackageOf(cs, bob),
      keyPackageOf(cs, charlie),
    ]);
    const add = await createCommit(members.get("alice")!, {
      proposals: [
        { proposalType: 1, keyPackage: kpB.keyPackage },
        { proposalType: 1, keyPackage: kpC.keyPackage },
      ],
    });
    members.set("alice", add.state);
    const welcome = welcomeOf(wire(welcomeMessage(add.welcome!)));
    for (const [c, kp] of [[bob, kpB], [charlie, kpC]] as const) {
      const { state } = await joinFromWelcome(cs, welcome, {
        keyPackage: kp.keyPackage,
        ...kp.privateKeys,
        signer: c.signer.privateKey,
      });
      members.set(c.name, state);
    }
    const epochs = () => [...members.values()].map((s) => s.context.epoch);
    assert.deepEqual(epochs(), [1n, 1n, 1n]);
    const e1 = await exporter(members.get("alice")!);
    for (const s of members.values()) assert.deepEqual(await exporter(s), e1);

    // Messages both ways.
    const hello = await sendApplication(members.get("bob")!, text("hi all"));
    for (const n of ["alice", "charlie"]) {
      const r = await receiveMessage(members.get(n)!, wire(hello));
      assert.equal(r.kind, "application");
      if (r.kind === "application") {
        assert.equal(new TextDecoder().decode(r.data), "hi all");
        assert.equal(r.sender, 1);
      }
    }

    // Charlie proposes an update, Bob commits it.
    const upd = await proposeUpdate(members.get("charlie")!);
    members.set("charlie", upd.state);
    await deliver(members, upd.message, "charlie");
    const c2 = await createCommit(members.get("bob")!);
    members.set("bob", c2.state);
    await deliver(members, c2.message, "bob");
    assert.deepEqual(epochs(), [2n, 2n, 2n]);
    assert.deepEqual(c2.summary.updated, [2]);
    const e2 = await exporter(members.get("alice")!);
    assert.notDeepEqual(e2, e1);
    for (const s of members.values()) assert.deepEqual(await exporter(s), e2);
    assert.notDeepEqual(await exporter(members.get("alice")!, "other"), e2);

    // Bob proposes to remove Charlie; Alice commits.
    const rem = await propose(members.get("bob")!, {
      proposalType: 3,
      removed: 2,
    });
    members.set("bob", rem.state);
    await deliver(members, rem.message, "bob");
    const c3 = await createCommit(members.get("alice")!);
    members.set("alice", c3.state);
    const charlieState = members.get("charlie")!;
    const rc = await receiveMessage(charlieState, wire(c3.message));
    assert.equal(rc.kind, "removed");
    members.delete("charlie");
    await deliver(members, c3.message, "alice");
    assert.deepEqual(epochs(), [3n, 3n]);

    // External PSK committed by Alice.
    const pskId = text("shared-psk");
    const psk = cs.randomBytes(32);
    const lookup = (id: { pskType: number; pskId?: Uint8Array }) =>
      id.pskType === PSKType.external ? psk : undefined;
    const c4 = await createCommit(members.get("alice")!, {
      proposals: [{
        proposalType: 4,
        psk: { pskType: 1, pskId, pskNonce: cs.randomBytes(cs.hashLength) },
      }],
      psks: lookup,
    });
    members.set("alice", c4.state);
    const rb = await receiveMessage(members.get("bob")!, wire(c4.message), {
      psks: lookup,
    });
    assert.equal(rb.kind, "commit");
    if (rb.kind === "commit") members.set("bob", rb.state);
    assert.deepEqual(
      await exporter(members.get("bob")!),
      await exporter(members.get("alice")!),
    );

    // Dave joins by external commit.
    const gi = await groupInfoFor(members.get("alice")!);
    const ext = await joinExternal(provider, {
      groupInfo: gi,
      credential: dave.credential,
      signer: dave.signer,
    });
    await deliver(members, ext.message, "dave");
    members.set("dave", ext.state);
    assert.deepEqual(epochs(), [5n, 5n, 5n]);
    const e5 = await exporter(members.get("dave")!);
    for (const s of members.values()) assert.deepEqual(await exporter(s), e5);

    // Bob resyncs by external commit, removing his old leaf.
    const gi2 = await groupInfoFor(members.get("dave")!);
    const resync = await joinExternal(provider, {
      groupInfo: gi2,
      credential: bob.credential,
      signer: bob.signer,
      removeLeaf: "auto",
    });
    members.delete("bob");
    await deliver(members, resync.message, "bob");
    members.set("bob", resync.state);
    const e6 = await exporter(members.get("bob")!);
    for (const s of members.values()) assert.deepEqual(await exporter(s), e6);
    assert.equal(members.get("alice")!.tree.leafCount >= 2, true);

    // Messages still flow in the final epoch.
    const last = await sendApplication(members.get("dave")!, text("bye"));
    for (const n of ["alice", "bob"]) {
      const r = await receiveMessage(members.get(n)!, wire(last));
      assert.equal(r.kind, "application");
    }
  });
}
