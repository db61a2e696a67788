// The application's authorization hook (receiveMessage's `authorize`): the
// explainer's "Bob does not have the right to remove Charlie". A refused
// proposal or commit throws MlsError("unauthorized") and leaves the
// receiver's state exactly as it was; allowed actions go through.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { createCommit } from "../../src/group/commit.ts";
import { joinExternal } from "../../src/group/external_join.ts";
import { groupInfoFor } from "../../src/group/group_info.ts";
import { propose, proposeUpdate } from "../../src/group/propose.ts";
import {
  type AuthorizationCheck,
  type Authorize,
  receiveMessage,
} from "../../src/group/receive.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import type { Credential } from "../../src/messages/credential.ts";
import {
  accept,
  assertGroupWorks,
  broadcast,
  client,
  exporterOf,
  groupOf,
  keyPackageOf,
  rejectsWith,
  wire,
} from "./helpers.ts";

const provider = defaultProvider();
const SUITES = [1, 2];

const nameOf = (c: Credential | undefined) =>
  c && "identity" in c ? new TextDecoder().decode(c.identity) : undefined;

/**
 * The policy as `receiver` applies it: Bob may not remove Charlie, and
 * Mallory may not join. Every request is recorded in `log`.
 */
function policy(
  receiver: GroupState,
  log: AuthorizationCheck[] = [],
): Authorize {
  return (req) => {
    log.push(req);
    const who = nameOf(req.senderCredential);
    if (who === "mallory") return false;
    const removesCharlie = req.proposals.some((p) =>
      p.proposal.proposalType === 3 &&
      nameOf(receiver.tree.getLeaf(p.proposal.removed)?.credential) ===
        "charlie" &&
      // The proposer, not only the committer, needs the right.
      (who === "bob" ||
        (p.sender.senderType === SenderType.member &&
          nameOf(receiver.tree.getLeaf(p.sender.leafIndex)?.credential) ===
            "bob"))
    );
    return !removesCharlie;
  };
}

for (const suite of SUITES) {
  for (const wf of ["private", "public"] as const) {
    Deno.test(`authorization, suite ${suite}, ${wf} handshakes`, async (t) => {
      const cs = await provider.suite(suite);
      const names = ["alice", "bob", "charlie"];
      const config = { handshakeWireFormat: wf };

      await t.step("Bob's commit removing Charlie is refused", async () => {
        const g = await groupOf(cs, names, config);
        const [a, b, c] = g.states;
        const epoch = a.context.epoch;
        const secret = await exporterOf(a);
        const commit = await createCommit(b, {
          proposals: [{ proposalType: 3, removed: 2 }],
        });
        const log: AuthorizationCheck[] = [];
        await rejectsWith(
          receiveMessage(a, wire(commit.message), {
            authorize: policy(a, log),
          }),
          "unauthorized",
          "Alice",
        );
        assert.equal(log.length, 1);
        assert.equal(log[0].kind, "commit");
        assert.deepEqual(log[0].sender, {
          senderType: SenderType.member,
          leafIndex: 1,
        });
        assert.equal(nameOf(log[0].senderCredential), "bob");
        assert.deepEqual(log[0].proposals.map((p) => p.proposal), [
          { proposalType: 3, removed: 2 },
        ]);
        // Charlie's client applies the same policy.
        await rejectsWith(
          receiveMessage(c, wire(commit.message), { authorize: policy(c) }),
          "unauthorized",
          "Charlie",
        );
        // Nothing changed: same epoch and secrets, and the group (Bob
        // drops his pending commit) exchanges messages as before.
        assert.equal(a.context.epoch, epoch);
        assert.equal(a.proposals.size, 0);
        assert.deepEqual(await exporterOf(a), secret);
        await assertGroupWorks(g);
        // The state really is as it was: once the policy allows it (Bob
        // was made an admin), the very same commit is processed.
        const r = await receiveMessage(a, wire(commit.message), {
          authorize: () => true,
        });
        assert.equal(r.kind, "commit");
        assert.equal(
          (await receiveMessage(c, wire(commit.message))).kind,
          "removed",
        );
        if (r.kind !== "commit") return;
        g.states = [r.state, commit.state];
        g.clients.pop();
        await assertGroupWorks(g);
      });

      await t.step("Bob's proposal to remove Charlie is refused", async () => {
        const g = await groupOf(cs, [...names, "dave"], config);
        const [a, b, , d] = g.states;
        const epoch = a.context.epoch;
        const p = await propose(b, { proposalType: 3, removed: 2 });
        const log: AuthorizationCheck[] = [];
        await rejectsWith(
          receiveMessage(a, wire(p.message), { authorize: policy(a, log) }),
          "unauthorized",
          "proposal",
        );
        assert.equal(log[0].kind, "proposal");
        assert.equal(nameOf(log[0].senderCredential), "bob");
        assert.equal(a.proposals.size, 0);
        assert.equal(a.context.epoch, epoch);
        // Dave, whose client has no such policy, takes it and commits it;
        // Alice, who had stored it before her policy was in place, refuses
        // the commit because of who proposed it.
        const commit = await createCommit(
          await accept(d, p.message, "proposal"),
        );
        assert.deepEqual(commit.summary.removed, [2]);
        const a1 = await accept(a, p.message, "proposal");
        log.length = 0;
        await rejectsWith(
          receiveMessage(a1, wire(commit.message), {
            authorize: policy(a1, log),
          }),
          "unauthorized",
          "commit of Bob's proposal",
        );
        assert.equal(log[0].kind, "commit");
        assert.equal(nameOf(log[0].senderCredential), "dave");
        assert.deepEqual(log[0].proposals[0].sender, {
          senderType: SenderType.member,
          leafIndex: 1,
        });
        // Alice goes on in the same epoch: she commits without Bob's
        // proposal, and everyone follows.
        assert.equal(a1.context.epoch, epoch);
        const ca = await createCommit(a1, { includePending: false });
        assert.deepEqual(ca.summary.removed, []);
        await broadcast(g, 0, ca.message, ca.state, { authorize: policy(a) });
        await assertGroupWorks(g);
      });

      await t.step("allowed actions go through", async () => {
        const g = await groupOf(cs, names, config);
        const log: AuthorizationCheck[] = [];
        const opts = (s: GroupState) => ({
          authorize: async (req: AuthorizationCheck) => {
            await Promise.resolve(); // an asynchronous policy
            return policy(s, log)(req);
          },
        });
        // Bob updates, Charlie commits it.
        const upd = await proposeUpdate(g.states[1]);
        g.states = await Promise.all(
          g.states.map((s, i) =>
            i === 1 ? upd.state : accept(s, upd.message, "proposal", opts(s))
          ),
        );
        const c1 = await createCommit(g.states[2]);
        await broadcast(g, 2, c1.message, c1.state, opts(g.states[0]));
        // Bob adds Dave.
        const dave = await client(cs, "dave");
        const kpD = await keyPackageOf(cs, dave);
        const add = await createCommit(g.states[1], {
          proposals: [{ proposalType: 1, keyPackage: kpD.keyPackage }],
        });
        for (let i = 0; i < g.states.length; i++) {
          if (i === 1) continue;
          g.states[i] = await accept(
            g.states[i],
            add.message,
            "commit",
            opts(g.states[i]),
          );
        }
        g.states[1] = add.state;
        const joined = await joinFromWelcome(cs, add.welcome!, {
          keyPackage: kpD.keyPackage,
          ...kpD.privateKeys,
          signer: dave.signer.privateKey,
          config,
        });
        g.states.push(joined.state);
        g.clients.push(dave);
        // Alice removes Charlie: she may.
        const rm = await createCommit(g.states[0], {
          proposals: [{ proposalType: 3, removed: 2 }],
        });
        assert.equal(
          (await receiveMessage(g.states[2], wire(rm.message))).kind,
          "removed",
        );
        g.states = [
          rm.state,
          await accept(g.states[1], rm.message, "commit", opts(g.states[1])),
          await accept(g.states[3], rm.message, "commit", opts(g.states[3])),
        ];
        g.clients.splice(2, 1);
        await assertGroupWorks(g);
        assert.deepEqual(
          log.map((r) => `${r.kind}:${nameOf(r.senderCredential)}`),
          [
            "proposal:bob",
            "proposal:bob",
            "commit:charlie",
            "commit:charlie",
            "commit:bob",
            "commit:bob",
            "commit:alice",
            "commit:alice",
          ],
        );
      });

      await t.step("an external join by Mallory is refused", async () => {
        const g = await groupOf(cs, names, config);
        const mallory = await client(cs, "mallory");
        const ext = await joinExternal(provider, {
          groupInfo: await groupInfoFor(g.states[0]),
          credential: mallory.credential,
          signer: mallory.signer,
        });
        const log: AuthorizationCheck[] = [];
        for (const s of g.states) {
          await rejectsWith(
            receiveMessage(s, wire(ext.message), { authorize: policy(s, log) }),
            "unauthorized",
            "external commit",
          );
        }
        assert.equal(log[0].sender.senderType, SenderType.newMemberCommit);
        assert.equal(nameOf(log[0].senderCredential), "mallory");
        await assertGroupWorks(g);
      });
    });
  }
}
