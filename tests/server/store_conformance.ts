/**
 * The {@link DeliveryStore} contract (server/store/store.ts), as one suite
 * that every store runs: `storeConformance("memory", factory)` adds one
 * `Deno.test` per case, each on a fresh store from the factory. The store
 * sees routing metadata and opaque bytes only, so the cases use made-up
 * ids and bytes.
 *
 * Covered: clients and token rotation, challenges, key-package storage
 * and claims (limited and not), group creation and membership, ordering
 * and fan-out of group messages, the first commit of an epoch winning,
 * fetch/ack/forget and cursors, subscriptions, GroupInfo, proposals,
 * Welcome routing, external joins, removed and late members.
 *
 * Named without `_test`: store tests import it (store_memory_test.ts,
 * store_kv_test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import type {
  AcceptRequest,
  ClaimLimits,
  DeliveryStore,
  InboxMessage,
  StoredKeyPackage,
} from "../../server/store/store.ts";

/** Makes a fresh, empty store; the suite closes it after each case. */
export type StoreFactory = () => DeliveryStore | Promise<DeliveryStore>;

const A = "a1".repeat(16);
const B = "b2".repeat(16);
const C = "c3".repeat(16);
const D = "d4".repeat(16);
const G = "0f".repeat(16);
const NOW = 1_800_000_000; // seconds

const bytes = (...b: number[]) => new Uint8Array(b);

function kp(ref: string, lastResort = false, notAfter = NOW + 3600) {
  return { ref, bytes: bytes(ref.length, 1), lastResort, notAfter };
}

/** Creates group G with `members` (the first joined), GroupInfo [0]. */
async function group(
  store: DeliveryStore,
  members: string[],
  externalJoins = false,
): Promise<void> {
  assert.equal(
    await store.createGroup({
      groupId: G,
      epoch: 0,
      members,
      groupInfo: bytes(0),
      externalJoins,
      joined: [members[0]],
    }),
    true,
  );
}

function post(
  poster: string,
  kind: AcceptRequest["kind"],
  epoch: number,
  message: number,
  extra: Partial<AcceptRequest> = {},
): AcceptRequest {
  return { groupId: G, poster, kind, epoch, message: bytes(message), ...extra };
}

/** The inbox of `who` from the start: [kind, epoch, first byte]. */
async function inbox(
  store: DeliveryStore,
  who: string,
  after?: string,
): Promise<[string, number, number][]> {
  const msgs = await store.fetchInbox(who, after, 1000);
  return msgs.map((m) => [m.kind, m.epoch, m.bytes[0]]);
}

function increasing(msgs: InboxMessage[]): void {
  for (let i = 1; i < msgs.length; i++) {
    assert.ok(msgs[i - 1].cursor < msgs[i].cursor, "cursors increase");
  }
}

/** The cases, by name. */
export const STORE_CASES: Record<
  string,
  (store: DeliveryStore) => Promise<void>
> = {
  "clients, tokens and their rotation": async (store) => {
    const rec = { clientId: A, tokenHash: "t1", createdAt: 1 };
    assert.equal(await store.registerClient(rec), true);
    assert.equal(
      await store.registerClient({ ...rec, tokenHash: "t2" }),
      false,
    );
    assert.equal(await store.clientByTokenHash("t1"), A);
    assert.equal(await store.clientByTokenHash("t2"), null);
    assert.equal(await store.hasClient(A), true);
    assert.equal(await store.hasClient(B), false);
    assert.equal(await store.rotateToken(A, "t3"), true);
    assert.equal(await store.clientByTokenHash("t1"), null);
    assert.equal(await store.clientByTokenHash("t3"), A);
    assert.equal(await store.rotateToken(B, "t4"), false);
    assert.equal(await store.clientByTokenHash("t4"), null);
  },

  "challenges are taken once, before they expire": async (store) => {
    await store.putChallenge("ch1", 1000, 500);
    await store.putChallenge("ch2", 1000, 500);
    assert.equal(await store.takeChallenge("ch1", 1200), true);
    assert.equal(await store.takeChallenge("ch1", 1200), false);
    assert.equal(await store.takeChallenge("ch2", 1600), false); // expired
    assert.equal(await store.takeChallenge("ch3", 1000), false);
  },

  "key packages: stored, counted, claimed once, last resort kept": async (
    store,
  ) => {
    assert.equal(await store.putKeyPackage(A, kp("01"), 3), "stored");
    assert.equal(await store.putKeyPackage(A, kp("01"), 3), "duplicate");
    assert.equal(await store.putKeyPackage(A, kp("02"), 3), "stored");
    assert.equal(await store.putKeyPackage(A, kp("03", true), 3), "stored");
    assert.equal(await store.putKeyPackage(A, kp("04"), 3), "full");
    assert.equal(await store.countKeyPackages(A), 3);
    assert.deepEqual(await store.countKeyPackagesByKind(A, NOW), {
      regular: 2,
      lastResort: 1,
    });
    const taken = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const k = await store.claimKeyPackage(A, NOW);
      assert.ok(k && !k.lastResort);
      taken.add(k.ref);
    }
    assert.deepEqual([...taken].sort(), ["01", "02"]); // never the same one
    for (let i = 0; i < 2; i++) {
      const k = await store.claimKeyPackage(A, NOW) as StoredKeyPackage;
      assert.equal(k.ref, "03");
      assert.equal(k.lastResort, true);
      assert.deepEqual(k.bytes, kp("03").bytes);
    }
    assert.equal(await store.countKeyPackages(A), 1);
    assert.deepEqual(await store.keyPackageOwners(["01", "03", "99"]), [
      A,
      A,
      null,
    ]);
    assert.equal(await store.claimKeyPackage(B, NOW), null);
  },

  "key packages: expired ones are not handed out": async (store) => {
    assert.equal(
      await store.putKeyPackage(A, kp("01", false, NOW - 1), 10),
      "stored",
    );
    assert.equal(await store.claimKeyPackage(A, NOW), null);
    assert.deepEqual(await store.countKeyPackagesByKind(A, NOW), {
      regular: 0,
      lastResort: 0,
    });
    assert.equal(
      (await store.claimKeyPackageLimited(A, B, NOW, false)).kind,
      "none",
    );
  },

  "key packages: limited claims fall back to last resort": async (store) => {
    const limits: ClaimLimits = {
      windowSeconds: 3600,
      perPair: 1,
      perRequester: 10,
      perTarget: 10,
    };
    for (const r of ["01", "02", "03"]) {
      await store.putKeyPackage(A, kp(r), 10);
    }
    const first = await store.claimKeyPackageLimited(A, B, NOW, limits);
    assert.equal(first.kind, "regular");
    // B's pair limit is used up: A has no last resort yet.
    const limited = await store.claimKeyPackageLimited(A, B, NOW, limits);
    assert.equal(limited.kind, "limited");
    assert.ok(limited.kind === "limited" && limited.retryAfter > 0);
    // Another requester is not limited by B's claims.
    assert.equal(
      (await store.claimKeyPackageLimited(A, C, NOW, limits)).kind,
      "regular",
    );
    await store.putKeyPackage(A, kp("04", true), 10);
    const fallback = await store.claimKeyPackageLimited(A, B, NOW, limits);
    assert.equal(fallback.kind, "lastResort");
    assert.deepEqual(await store.countKeyPackagesByKind(A, NOW), {
      regular: 1,
      lastResort: 1,
    });
    // The next window starts afresh.
    const later = NOW + 3600;
    assert.equal(
      (await store.claimKeyPackageLimited(A, B, later, limits)).kind,
      "regular",
    );
    assert.equal(
      (await store.claimKeyPackageLimited(A, D, NOW, false)).kind,
      "lastResort",
    );
  },

  "groups: created once, with members, joined and invited": async (store) => {
    await group(store, [A, B]);
    assert.equal(
      await store.createGroup({
        groupId: G,
        epoch: 0,
        members: [C],
        groupInfo: bytes(9),
        externalJoins: true,
      }),
      false,
    );
    const g = await store.getGroup(G);
    assert.equal(g?.epoch, 0);
    assert.equal(g?.externalJoins, false);
    assert.deepEqual(
      g?.members.map((m) => [m.clientId, m.since]).sort(),
      [[A, 0], [B, 0]],
    );
    assert.equal(await store.getGroup("ee"), null);
    assert.deepEqual(await store.groupsOf(B), [G]);
    assert.deepEqual(await store.groupsOf(C), []);
    assert.deepEqual(await store.joinedMembers(G), [A]);
    assert.deepEqual(await store.joinedGroupsOf(B), []);
    await store.markJoined(G, B);
    await store.markJoined(G, C); // not a member: nothing
    assert.deepEqual((await store.joinedMembers(G)).sort(), [A, B]);
    assert.deepEqual(await store.joinedGroupsOf(B), [G]);
    assert.deepEqual(await store.joinedGroupsOf(C), []);
  },

  "messages: fan-out in order, not to the poster": async (store) => {
    await group(store, [A, B, C]);
    const seqs: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const r = await store.accept(post(i % 2 ? A : B, "application", 0, i));
      assert.ok(r.ok && r.epoch === 0);
      seqs.push(r.seq);
    }
    assert.deepEqual(
      await inbox(store, C),
      [1, 2, 3, 4, 5].map((i) => [
        "application",
        0,
        i,
      ]),
    );
    assert.deepEqual(await inbox(store, A), [["application", 0, 2], [
      "application",
      0,
      4,
    ]]);
    assert.deepEqual(
      (await inbox(store, B)).map((m) => m[2]),
      [1, 3, 5],
    );
    const all = await store.fetchInbox(C, undefined, 1000);
    increasing(all);
    // Whether application messages count in `seq` is the store's choice
    // (Deno KV counts handshake messages only); it never goes back.
    assert.deepEqual(
      all.map((m) => [m.groupId, m.seq]),
      seqs.map((q) => [G, q]),
    );
    assert.ok(seqs.every((q, i) => i === 0 || q >= seqs[i - 1]));
    // Paging: `limit`, then on from a cursor.
    const page = await store.fetchInbox(C, undefined, 2);
    assert.deepEqual(page.map((m) => m.bytes[0]), [1, 2]);
    assert.deepEqual(
      (await inbox(store, C, page[1].cursor)).map((m) => m[2]),
      [3, 4, 5],
    );
    assert.deepEqual(await inbox(store, C, all[4].cursor), []);
    assert.equal((await store.getGroup(G))?.seq, seqs[4]);
  },

  "refusals: unknown group, non-member, future epoch": async (store) => {
    const unknown = await store.accept(post(A, "application", 0, 1));
    assert.equal(unknown.ok, false);
    assert.equal(!unknown.ok && unknown.reason, "unknown_group");
    await group(store, [A, B]);
    const outsider = await store.accept(post(C, "application", 0, 1));
    assert.deepEqual(
      [outsider.ok, !outsider.ok && outsider.reason],
      [false, "not_member"],
    );
    const future = await store.accept(post(A, "application", 1, 1));
    assert.deepEqual(
      [future.ok, !future.ok && future.reason, future.epoch],
      [false, "epoch_conflict", 0],
    );
    const proposal = await store.accept(post(A, "proposal", 1, 1));
    assert.equal(!proposal.ok && proposal.reason, "epoch_conflict");
    const external = await store.accept(
      post(C, "commit", 0, 1, { external: true, nextMembers: [A, B, C] }),
    );
    assert.equal(!external.ok && external.reason, "external_joins_disabled");
    assert.deepEqual(await inbox(store, B), []);
    assert.equal((await store.getGroup(G))?.seq, 0);
  },

  "commits: the first of an epoch wins, everyone gets it": async (store) => {
    await group(store, [A, B, C]);
    const first = await store.accept(
      post(A, "commit", 0, 10, { nextMembers: [A, B, C] }),
    );
    assert.deepEqual(first, { ok: true, epoch: 1, seq: 1 });
    const second = await store.accept(
      post(B, "commit", 0, 11, { nextMembers: [A, B, C] }),
    );
    assert.deepEqual(
      [second.ok, !second.ok && second.reason, second.epoch],
      [false, "epoch_conflict", 1],
    );
    // The committer gets its own commit (to confirm it); the loser too.
    for (const who of [A, B, C]) {
      assert.deepEqual(await inbox(store, who), [["commit", 0, 10]]);
    }
    assert.equal((await store.getGroup(G))?.epoch, 1);
    // Old-epoch application messages are still delivered (late ones).
    const late = await store.accept(post(B, "application", 0, 12));
    assert.equal(late.ok, true);
    assert.deepEqual((await inbox(store, C)).map((m) => m[2]), [10, 12]);
  },

  "commits race: exactly one of many concurrent commits wins": async (
    store,
  ) => {
    await group(store, [A, B, C, D]);
    const results = await Promise.all(
      [A, B, C, D].map((who, i) =>
        store.accept(post(who, "commit", 0, 20 + i, {
          nextMembers: [A, B, C, D],
        }))
      ),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
    const winner = results.findIndex((r) => r.ok);
    assert.deepEqual(await inbox(store, D), [["commit", 0, 20 + winner]]);
  },

  "Welcome: routed to the new members, who read on from there": async (
    store,
  ) => {
    await group(store, [A, B]);
    await store.accept(post(B, "application", 0, 1));
    const r = await store.accept(post(A, "commit", 0, 2, {
      nextMembers: [A, B, C, D],
      groupInfo: bytes(7),
      welcome: { bytes: bytes(99), recipients: [C, D] },
    }));
    assert.ok(r.ok && r.epoch === 1 && r.seq >= 1);
    await store.accept(post(B, "application", 1, 3));
    for (const who of [C, D]) {
      // The Welcome, then the new epoch's messages; nothing from before.
      assert.deepEqual(await inbox(store, who), [
        ["welcome", 1, 99],
        ["application", 1, 3],
      ]);
      assert.deepEqual(await store.groupsOf(who), [G]);
    }
    const g = await store.getGroup(G);
    assert.deepEqual(
      g?.members.map((m) => [m.clientId, m.since]).sort(),
      [[A, 0], [B, 0], [C, 1], [D, 1]],
    );
    assert.deepEqual(await inbox(store, A), [
      ["application", 0, 1],
      ["commit", 0, 2],
      ["application", 1, 3],
    ]);
    // The invitees are invited, not joined, until they post or fetch.
    assert.deepEqual((await store.joinedMembers(G)).sort(), [A]);
    const info = await store.getGroupInfo(G);
    assert.deepEqual([info?.epoch, info?.bytes], [1, bytes(7)]);
  },

  "late members: messages of epochs before theirs are not theirs": async (
    store,
  ) => {
    await group(store, [A, B]);
    await store.accept(post(A, "commit", 0, 1, {
      nextMembers: [A, B, C],
      welcome: { bytes: bytes(98), recipients: [C] },
    }));
    // B sends a message of epoch 0 after the commit: C cannot read it.
    assert.equal((await store.accept(post(B, "application", 0, 2))).ok, true);
    assert.equal((await store.accept(post(B, "application", 1, 3))).ok, true);
    assert.deepEqual(await inbox(store, C), [
      ["welcome", 1, 98],
      ["application", 1, 3],
    ]);
    assert.deepEqual((await inbox(store, A)).map((m) => m[2]), [1, 2, 3]);
  },

  "removed members: they get the commit, then nothing": async (store) => {
    await group(store, [A, B, C]);
    await store.markJoined(G, C);
    const r = await store.accept(post(A, "commit", 0, 1, {
      nextMembers: [A, B],
    }));
    assert.equal(r.ok, true);
    await store.accept(post(B, "application", 1, 2));
    assert.deepEqual(await inbox(store, C), [["commit", 0, 1]]);
    assert.deepEqual(await store.groupsOf(C), []);
    assert.deepEqual(await store.joinedGroupsOf(C), []);
    assert.ok(!(await store.joinedMembers(G)).includes(C));
    const out = await store.accept(post(C, "application", 1, 3));
    assert.equal(!out.ok && out.reason, "not_member");
    // Added again, it reads from its new epoch only.
    await store.accept(post(A, "commit", 1, 4, {
      nextMembers: [A, B, C],
      welcome: { bytes: bytes(97), recipients: [C] },
    }));
    await store.accept(post(B, "application", 2, 5));
    assert.deepEqual(await inbox(store, C), [
      ["commit", 0, 1],
      ["welcome", 2, 97],
      ["application", 2, 5],
    ]);
    assert.deepEqual(await store.joinedGroupsOf(C), []); // invited again
  },

  "external joins: allowed when enabled, not echoed": async (store) => {
    await group(store, [A, B], true);
    const r = await store.accept(post(C, "commit", 0, 1, {
      external: true,
      nextMembers: [A, B, C],
      groupInfo: bytes(5),
    }));
    assert.deepEqual(r, { ok: true, epoch: 1, seq: 1 });
    assert.deepEqual(await inbox(store, C), []);
    assert.deepEqual(await inbox(store, B), [["commit", 0, 1]]);
    const g = await store.getGroup(G);
    assert.equal(g?.members.find((m) => m.clientId === C)?.since, 1);
    await store.accept(post(A, "application", 1, 2));
    assert.deepEqual(await inbox(store, C), [["application", 1, 2]]);
    assert.deepEqual((await store.getGroupInfo(G))?.bytes, bytes(5));
  },

  "GroupInfo: replaced in its epoch only": async (store) => {
    assert.equal(await store.getGroupInfo(G), null);
    const none = await store.putGroupInfo(G, 0, bytes(1));
    assert.equal(!none.ok && none.reason, "unknown_group");
    await group(store, [A, B], true);
    assert.deepEqual(await store.getGroupInfo(G), {
      epoch: 0,
      bytes: bytes(0),
    });
    assert.equal((await store.putGroupInfo(G, 0, bytes(3))).ok, true);
    assert.deepEqual((await store.getGroupInfo(G))?.bytes, bytes(3));
    const stale = await store.putGroupInfo(G, 1, bytes(4));
    assert.deepEqual(
      [stale.ok, !stale.ok && stale.reason, stale.epoch],
      [false, "epoch_conflict", 0],
    );
    assert.deepEqual((await store.getGroupInfo(G))?.bytes, bytes(3));
  },

  "proposals: kept by reference for their epoch": async (store) => {
    await group(store, [A, B]);
    const r = await store.accept(
      post(B, "proposal", 0, 6, { proposalRef: "abcd" }),
    );
    assert.deepEqual(r, { ok: true, epoch: 0, seq: 1 });
    assert.deepEqual(await store.getProposal(G, 0, "abcd"), bytes(6));
    assert.equal(await store.getProposal(G, 0, "abce"), null);
    assert.deepEqual(await inbox(store, A), [["proposal", 0, 6]]);
    assert.deepEqual(await inbox(store, B), []);
    await store.accept(post(A, "commit", 0, 7, { nextMembers: [A, B] }));
    // A later epoch never sees it (a commit of epoch 1 cannot use it).
    assert.equal(await store.getProposal(G, 1, "abcd"), null);
  },

  "ack and forget: acknowledged messages are not fetched again": async (
    store,
  ) => {
    await group(store, [A, B]);
    for (let i = 1; i <= 4; i++) {
      await store.accept(post(A, "application", 0, i));
    }
    const all = await store.fetchInbox(B, undefined, 10);
    assert.equal(await store.ack(B, all[1].cursor), 2);
    assert.deepEqual((await inbox(store, B)).map((m) => m[2]), [3, 4]);
    assert.equal(await store.ack(B, all[1].cursor), 0);
    await store.forget(B, [all[2].cursor]);
    const left = (await inbox(store, B)).map((m) => m[2]);
    // A store may keep a forgotten message until those before it go.
    assert.ok(
      JSON.stringify(left) === "[4]" || JSON.stringify(left) === "[3,4]",
    );
    await store.forget(B, [all[3].cursor]);
    assert.deepEqual(await inbox(store, B), []);
    // Other inboxes are untouched.
    await group2(store);
    assert.deepEqual(await inbox(store, A), []);
  },

  "subscriptions: woken by additions, quiet otherwise, closable": async (
    store,
  ) => {
    await group(store, [A, B]);
    const sub = await store.subscribe(B);
    assert.equal(await sub.changed(50), false);
    const woken = sub.changed(5000);
    await store.accept(post(A, "application", 0, 1));
    assert.equal(await woken, true);
    const fetched = await store.fetchInbox(B, undefined, 10, true);
    assert.deepEqual(fetched.map((m) => m.bytes[0]), [1]);
    // A Welcome wakes its recipient.
    const subC = await store.subscribe(C);
    const welcomed = subC.changed(5000);
    await store.accept(post(A, "commit", 0, 2, {
      nextMembers: [A, B, C],
      welcome: { bytes: bytes(96), recipients: [C] },
    }));
    assert.equal(await welcomed, true);
    subC.close();
    // Closing ends it for good.
    sub.close();
    assert.equal(sub.closed, true);
    assert.equal(await sub.changed(5000), false);
  },
};

/** A second group (of A alone) that must not disturb the first's inboxes. */
async function group2(store: DeliveryStore): Promise<void> {
  const other = "1e".repeat(16);
  await store.createGroup({
    groupId: other,
    epoch: 0,
    members: [A],
    groupInfo: bytes(0),
    externalJoins: false,
    joined: [A],
  });
  await store.accept({
    groupId: other,
    poster: A,
    kind: "application",
    epoch: 0,
    message: bytes(50),
  });
}

/**
 * Adds one `Deno.test` per contract case, named `store <label>: <case>`,
 * each on a fresh store from `factory`, closed afterwards.
 */
export function storeConformance(label: string, factory: StoreFactory): void {
  for (const [name, run] of Object.entries(STORE_CASES)) {
    Deno.test(`store ${label}: ${name}`, async () => {
      const store = await factory();
      try {
        await run(store);
      } finally {
        await store.close();
      }
    });
  }
}
