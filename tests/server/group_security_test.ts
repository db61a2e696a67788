// The delivery service against the attacks of issue 12 (findings 1, 2, 5),
// on the real app over memory and over Deno KV:
// 1. an outsider's external commit with a forged GroupInfo (and other bent
//    external commits) cannot take over or change a group;
// 2. a commit no member can process is refused where handshakes must be
//    public, and members recover from it by resync where they need not be;
// 5. a client listed in someone's tree is invited, not a member, until it
//    posts or fetches its Welcome.
// Messages the API cannot produce are crafted in ./crafted.ts.
import assert from "node:assert/strict";
import { commitBundle, DeliveryError } from "../../delivery.ts";
import { generateKeyPackage } from "../../src/group/key_package.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { KvStore } from "../../server/store/kv.ts";
import { openPg, PG_URL } from "./pg_stores.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import type { DeliveryStore } from "../../server/store/store.ts";
import {
  bundle,
  craftExternalCommit,
  fakePrivateCommit,
  flipSignature,
  forgedGroupInfo,
  garbleCiphertext,
  groupInfoOf,
  rawClient,
  resign,
} from "./crafted.ts";
import { client, exporter, startServer, type TestClient } from "./helpers.ts";

/** Runs `body` as two tests: over a MemoryStore and over a Deno KV file. */
function overStores(
  name: string,
  body: (store: DeliveryStore) => Promise<void>,
): void {
  Deno.test(`${name} (memory)`, () => body(new MemoryStore()));
  Deno.test(`${name} (Deno KV)`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "webmls-kv-" });
    try {
      await body(await KvStore.open(`${dir}/ds.kv`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  if (PG_URL) {
    Deno.test(`${name} (Postgres)`, async () => body(await openPg()));
  }
}

async function errorOf(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) return e;
    throw e;
  }
  throw new Error("expected a DeliveryError, the service accepted it");
}

/** Asserts a refusal's status, code and (for verification) reason. */
async function refused(
  p: Promise<unknown>,
  status: number,
  code: string,
  reason?: string,
): Promise<void> {
  const e = await errorOf(p);
  assert.equal(`${e.status} ${e.code}`, `${status} ${code}`, e.message);
  if (reason) assert.match(e.message, new RegExp(`^${reason}:`));
}

/** Sorted, for comparing member lists. */
const sorted = (xs: readonly string[]) => [...xs].sort();

/** `GET /v1/groups` of a client. */
async function listed(
  url: string,
  c: TestClient,
): Promise<{ groups: string[]; invited: string[] }> {
  const res = await fetch(`${url}/v1/groups`, {
    headers: { authorization: `Bearer ${c.client.token}` },
  });
  return await res.json();
}

/** `a` sends, `b` syncs and reads it. */
async function talk(gid: string, a: TestClient, b: TestClient, text: string) {
  await a.client.send(gid, text);
  await b.client.sync();
  assert.equal(b.texts.at(-1), text);
}

overStores(
  "group security: external commits are checked against the public state",
  async (store) => {
    const server = await startServer(store);
    try {
      const url = server.url;
      const alice = await client(url, "alice");
      const bob = await client(url, "bob");
      const gid = (await alice.client.createGroup({ externalJoins: true }))
        .groupId;
      await alice.client.add(gid, [bob.client.clientId]);
      await bob.client.sync();
      const mallory = await rawClient(url, "mallory");
      const gi = await mallory.http.groupInfo(gid); // epoch 1

      // Takeover: a genuine external commit with a forged GroupInfo, her
      // own one-member group under this id at epoch 2.
      const genuine = await craftExternalCommit(mallory, gi);
      const forged = await forgedGroupInfo(mallory, gid, 2n);
      await refused(
        mallory.http.post(gid, bundle(genuine.commit, forged)),
        400,
        "commit_mismatch",
        "tree_hash",
      );
      // Bent external commits, each signed and self-consistent.
      const eve = await rawClient(url, "eve");
      const { keyPackage } = await generateKeyPackage(
        eve.cs,
        eve.credential,
        eve.signer,
      );
      const withAdd = await craftExternalCommit(mallory, gi, {
        extra: [{ proposalType: ProposalType.add, keyPackage }],
      });
      await refused(
        mallory.http.post(gid, withAdd.bundle),
        400,
        "invalid_commit",
        "invalid_external_commit",
      );
      const removesBob = await craftExternalCommit(mallory, gi, {
        removeLeaf: 1,
      });
      await refused(
        mallory.http.post(gid, removesBob.bundle),
        400,
        "invalid_commit",
        "invalid_external_commit",
      );
      const otherTree = await craftExternalCommit(mallory, gi, {
        groupInfoTree: (t) => t.removeLeaf(1),
      });
      await refused(
        mallory.http.post(gid, otherTree.bundle),
        400,
        "commit_mismatch",
        "tree_hash",
      );
      await refused(
        mallory.http.post(
          gid,
          bundle(flipSignature(genuine.commit), genuine.groupInfo),
        ),
        400,
        "invalid_commit",
        "invalid_signature",
      );
      // Someone else's genuine commit: the joiner's leaf is not the poster.
      await refused(
        eve.http.post(gid, genuine.bundle),
        403,
        "signer_mismatch",
      );

      // The group is intact: same members, both still talk.
      const info = await alice.client.http.group(gid);
      assert.equal(info.epoch, 1);
      assert.deepEqual(
        sorted(info.members),
        sorted([alice.client.clientId, bob.client.clientId]),
      );
      await talk(gid, alice, bob, "still ours");
      await talk(gid, bob, alice, "still ours too");

      // An honest external join goes into the real group; so does a resync.
      const dave = await client(url, "dave");
      await dave.client.joinExternal(gid);
      await alice.client.sync();
      await bob.client.sync();
      await talk(gid, dave, alice, "hello from dave");
      await bob.client.joinExternal(gid, { resync: true });
      await alice.client.sync();
      await dave.client.sync();
      await talk(gid, bob, alice, "bob after resync");
      await talk(gid, alice, bob, "alice to resynced bob");
      await dave.client.sync();
      const after = await alice.client.http.group(gid);
      assert.equal(after.epoch, 3);
      assert.deepEqual(
        sorted(after.members),
        sorted([alice, bob, dave].map((c) => c.client.clientId)),
      );
      const secrets = await Promise.all(
        [alice, bob, dave].map((c) => exporter(c, gid)),
      );
      assert.equal(new Set(secrets).size, 1);
      // Mallory's genuine commit, now for a past epoch.
      await refused(
        mallory.http.post(gid, genuine.bundle),
        409,
        "epoch_conflict",
      );
    } finally {
      await server.close();
    }
  },
);

overStores(
  "group security: no external join without external_pub; a republished GroupInfo keeps the state",
  async (store) => {
    const server = await startServer(store);
    try {
      const url = server.url;
      // The service allows external joins, the members' GroupInfos do not.
      const alice = await client(url, "alice", {
        mls: { groupConfig: { externalPub: false } },
      });
      const gid = (await alice.client.createGroup({ externalJoins: true }))
        .groupId;
      const mallory = await rawClient(url, "mallory");
      const gi = await mallory.http.groupInfo(gid);
      const { publicKey } = await mallory.cs.hpkeGenerateKeyPair();
      const join = await craftExternalCommit(mallory, gi, {
        externalPub: publicKey,
      });
      await refused(
        mallory.http.post(gid, join.bundle),
        403,
        "external_joins_disabled",
      );

      // A creator that holds its key republishes a GroupInfo with the same
      // members and another transcript: refused, the state stays.
      const carol = await rawClient(url, "carol");
      const own = groupInfoOf(
        await forgedGroupInfo(carol, "c0".repeat(32), 0n),
      );
      const first = await resign(carol, own);
      await carol.http.createGroup(first);
      const bent = await resign(carol, {
        ...own,
        groupContext: {
          ...own.groupContext,
          confirmedTranscriptHash: new Uint8Array(32).fill(7),
        },
      });
      const res = await fetch(
        `${url}/v1/groups/${"c0".repeat(32)}/group-info`,
        {
          method: "PUT",
          headers: {
            authorization: `Bearer ${carol.http.token}`,
            "content-type": "application/mls-message",
          },
          body: bent as Uint8Array<ArrayBuffer>,
        },
      );
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, "group_mismatch");
      const stored = await carol.http.groupInfo("c0".repeat(32));
      assert.deepEqual(stored, first);
    } finally {
      await server.close();
    }
  },
);

const PUBLIC = {
  mls: { groupConfig: { handshakeWireFormat: "public" as const } },
};

overStores(
  "group security: public handshakes are verified; garbage commits are refused",
  async (store) => {
    const server = await startServer(store);
    try {
      const url = server.url;
      const [alice, bob, mallory] = await Promise.all(
        ["alice", "bob", "mallory"].map((n) => client(url, n, PUBLIC)),
      );
      const g = await alice.client.mls.groupCreate(
        alice.client.clientId,
        alice.client.credential,
      );
      const gid = g.groupId;
      const created = await alice.client.http.createGroup(
        await g.groupInfo({ ratchetTree: true }),
        false,
        { handshakes: "public" },
      );
      assert.equal((created as { handshakes?: string }).handshakes, "public");
      await alice.client.add(gid, [
        bob.client.clientId,
        mallory.client.clientId,
      ]);
      await bob.client.sync();
      await mallory.client.sync();
      assert.equal((await bob.client.http.group(gid)).handshakes, "public");

      // Garbage as a PrivateMessage: refused unread.
      const gm = (await mallory.client.group(gid))!;
      const out1 = await gm.update();
      await gm.clearPendingCommit();
      await refused(
        mallory.client.http.post(
          gid,
          bundle(fakePrivateCommit(gid, 1n), out1.groupInfo),
        ),
        400,
        "public_handshake_required",
      );
      // A PublicMessage commit: bad signature; another commit's GroupInfo.
      await refused(
        mallory.client.http.post(
          gid,
          bundle(flipSignature(out1.commit), out1.groupInfo),
        ),
        400,
        "invalid_commit",
        "invalid_signature",
      );
      const out2 = await gm.update();
      await gm.clearPendingCommit();
      await refused(
        mallory.client.http.post(gid, bundle(out2.commit, out1.groupInfo)),
        400,
        "commit_mismatch",
        "tree_hash",
      );
      // A commit that references a proposal the service never accepted.
      const ga = (await alice.client.group(gid))!;
      const gb = (await bob.client.group(gid))!;
      const proposal = await gb.proposeUpdate();
      const direct = await ga.receive(proposal.proposal);
      assert.equal(direct.type, "proposal");
      const byRef =
        (direct as { commitOutput?: Parameters<typeof commitBundle>[0] })
          .commitOutput!;
      await refused(
        alice.client.http.post(gid, commitBundle(byRef)),
        400,
        "invalid_commit",
        "unknown_proposal",
      );
      await ga.clearPendingCommit();

      // Honest handshakes: the proposal through the service, committed by
      // reference (alice's view commits it on receipt), an update, a removal.
      await bob.client.http.post(gid, proposal.proposal);
      await alice.client.sync();
      await bob.client.sync();
      await mallory.client.sync();
      assert.equal((await bob.client.http.group(gid)).epoch, 2);
      await alice.client.update(gid);
      await alice.client.remove(gid, [mallory.client.clientId]);
      await bob.client.sync();
      await talk(gid, alice, bob, "public handshakes");
      await talk(gid, bob, alice, "still private content");
      assert.equal(await exporter(alice, gid), await exporter(bob, gid));
      assert.deepEqual(
        sorted((await alice.client.http.group(gid)).members),
        sorted([alice.client.clientId, bob.client.clientId]),
      );
    } finally {
      await server.close();
    }
  },
);

overStores(
  "group security: members recover from an unprocessable commit by resync",
  async (store) => {
    const server = await startServer(store);
    try {
      const url = server.url;
      const [alice, bob, mallory] = await Promise.all(
        ["alice", "bob", "mallory"].map((n) => client(url, n)),
      );
      // External joins off at the service: members still resync.
      const gid = (await alice.client.createGroup()).groupId;
      await alice.client.add(gid, [
        bob.client.clientId,
        mallory.client.clientId,
      ]);
      await bob.client.sync();
      await mallory.client.sync();

      // A PrivateMessage commit no one can decrypt, with the GroupInfo of
      // mallory's real next epoch: the service cannot tell, and takes it.
      const gm = (await mallory.client.group(gid))!;
      const out = await gm.update();
      await mallory.client.http.post(
        gid,
        bundle(garbleCiphertext(out.commit), out.groupInfo),
      );
      await gm.applyPendingCommit();

      await alice.client.sync();
      await bob.client.sync();
      await mallory.client.sync();
      await alice.client.sync();
      for (const c of [alice, bob]) {
        assert.equal(c.events.filter((e) => e.type === "recovered").length, 1);
      }
      const epoch = (await alice.client.http.group(gid)).epoch;
      assert.equal(epoch, 4); // mallory's, alice's and bob's commits
      for (const c of [alice, bob, mallory]) {
        assert.equal((await c.client.group(gid))!.epoch, BigInt(epoch));
      }
      // The group works again: both ways, and the next commit goes in.
      await talk(gid, alice, bob, "after recovery");
      await talk(gid, bob, alice, "bob is back");
      await alice.client.update(gid);
      await bob.client.sync();
      await mallory.client.sync();
      const secrets = await Promise.all(
        [alice, bob, mallory].map((c) => exporter(c, gid)),
      );
      assert.equal(new Set(secrets).size, 1);
    } finally {
      await server.close();
    }
  },
);

overStores(
  "group security: without external_pub a member reports needs_rejoin",
  async (store) => {
    const server = await startServer(store);
    try {
      const url = server.url;
      const opts = { mls: { groupConfig: { externalPub: false } } };
      const [alice, bob] = await Promise.all(
        ["alice", "bob"].map((n) => client(url, n, opts)),
      );
      const gid = (await alice.client.createGroup()).groupId;
      await alice.client.add(gid, [bob.client.clientId]);
      await bob.client.sync();
      const ga = (await alice.client.group(gid))!;
      const out = await ga.update();
      await alice.client.http.post(
        gid,
        bundle(garbleCiphertext(out.commit), out.groupInfo),
      );
      await bob.client.sync();
      const e = bob.events.find((e) => e.type === "needs_rejoin");
      assert.ok(e, "needs_rejoin reported");
      assert.ok(!bob.events.some((e) => e.type === "recovered"));
    } finally {
      await server.close();
    }
  },
);

overStores(
  "group security: a client is invited until it posts or fetches its Welcome",
  async (store) => {
    const server = await startServer(store);
    try {
      const url = server.url;
      const [alice, bob, carol] = await Promise.all(
        ["alice", "bob", "carol"].map((n) => client(url, n)),
      );
      const [a, b, c] = [alice, bob, carol].map((x) => x.client.clientId);
      // A group whose first tree lists bob, who got no Welcome from here.
      const g = await alice.client.mls.groupCreate(a, alice.client.credential);
      const gid = g.groupId;
      const out = await g.add(await alice.client.http.claimKeyPackage(b));
      await g.applyPendingCommit();
      const created = await alice.client.http.createGroup(
        await g.groupInfo({ ratchetTree: true }),
      ) as unknown as { members: string[]; invited: string[] };
      assert.deepEqual(created.members, [a]);
      assert.deepEqual(created.invited, [b]);
      assert.deepEqual(await listed(url, bob), { groups: [], invited: [gid] });
      assert.deepEqual((await bob.client.http.me()).groups, []);
      let info = await alice.client.http.group(gid);
      assert.deepEqual([info.members, info.invited], [[a], [b]]);

      // Posting is joining (bob got the Welcome some other way).
      await bob.client.mls.groupJoin(b, out.welcome!);
      await bob.client.send(gid, "I am here");
      assert.deepEqual(await listed(url, bob), { groups: [gid], invited: [] });

      // Fetching the Welcome is joining; until then carol is invited, and
      // her inbox gets the group's messages as before.
      await alice.client.sync();
      await alice.client.add(gid, [c]);
      await alice.client.send(gid, "welcome carol");
      info = await alice.client.http.group(gid);
      assert.deepEqual(sorted(info.members), sorted([a, b]));
      assert.deepEqual(info.invited, [c]);
      assert.deepEqual(await listed(url, carol), {
        groups: [],
        invited: [gid],
      });
      await carol.client.sync();
      assert.equal(carol.texts.at(-1), "welcome carol");
      info = await alice.client.http.group(gid);
      assert.deepEqual(sorted(info.members), sorted([a, b, c]));
      assert.deepEqual(info.invited, []);
      assert.deepEqual((await carol.client.http.me()).groups, [gid]);

      // Removed and added again: invited again until the new Welcome.
      await alice.client.remove(gid, [c]);
      await alice.client.add(gid, [c]);
      assert.deepEqual((await alice.client.http.group(gid)).invited, [c]);
      await carol.client.sync();
      assert.deepEqual((await alice.client.http.group(gid)).invited, []);
    } finally {
      await server.close();
    }
  },
);
