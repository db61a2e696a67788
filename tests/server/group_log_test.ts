// Fan-out on read (issue 23), on every store: a group message is written
// once, into its group's log, whatever the group's size; members read the
// log from their cursors. Removed members read nothing after their
// removal, late joiners nothing before their Welcome, and the log is
// trimmed once every reader's cursor is past an entry.
import assert from "node:assert/strict";
import { KvStore } from "../../server/store/kv.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import type {
  AcceptRequest,
  DeliveryStore,
  InboxMessage,
} from "../../server/store/store.ts";

const G = "0a".repeat(16);
const id = (i: number) => i.toString(16).padStart(2, "0").repeat(32);
const A = id(1);
const B = id(2);
const C = id(3);
const D = id(4);

function app(poster: string, epoch: number, n: number): AcceptRequest {
  return {
    groupId: G,
    poster,
    kind: "application",
    epoch,
    message: new Uint8Array([0xaa, epoch, n]),
  };
}

function commit(
  poster: string,
  epoch: number,
  nextMembers: string[],
  welcome?: string[],
): AcceptRequest {
  return {
    groupId: G,
    poster,
    kind: "commit",
    epoch,
    message: new Uint8Array([0xcc, epoch]),
    nextMembers,
    groupInfo: new Uint8Array(8),
    ...welcome
      ? { welcome: { bytes: new Uint8Array([0x77]), recipients: welcome } }
      : {},
  };
}

/** A store under test, with what the tests look at inside it. */
interface LogStore extends DeliveryStore {
  /** Group log entries and per-client inbox items written so far. */
  written(): Promise<number>;
  /** Entries kept in `gid`'s log, after background work and trimming. */
  logSize(gid: string): Promise<number>;
}

function memoryStore(retentionMs?: number): Promise<LogStore> {
  const s = new MemoryStore({ retentionMs });
  const size = s.logSize.bind(s);
  return Promise.resolve(Object.assign(s, {
    written: () => Promise.resolve(s.writes),
    logSize: (gid: string) => Promise.resolve(size(gid)),
  }));
}

async function kvStore(retentionMs?: number): Promise<LogStore> {
  const dir = await Deno.makeTempDir({ prefix: "webmls-group-log-" });
  const s = await KvStore.open(`${dir}/log.kv`, { retentionMs });
  // A second handle on the file, to count the rows the store wrote.
  const raw = await Deno.openKv(`${dir}/log.kv`);
  const count = async (part: string, gid: string) => {
    let n = 0;
    for await (const _ of raw.list({ prefix: ["webmls", part, gid] })) n++;
    return n;
  };
  const close = s.close.bind(s);
  return Object.assign(s, {
    written: async () => {
      await s.flush();
      return await count("glog", G);
    },
    logSize: async (gid: string) => {
      await s.flush();
      await s.trim(gid);
      return await count("glog", gid);
    },
    close: async () => {
      await close();
      raw.close();
      await Deno.remove(dir, { recursive: true });
    },
  });
}

const stores: [string, (retentionMs?: number) => Promise<LogStore>][] = [
  ["memory", memoryStore],
  ["Deno KV", kvStore],
];

async function ok(s: DeliveryStore, r: AcceptRequest): Promise<void> {
  const res = await s.accept(r);
  assert.ok(res.ok, JSON.stringify(res));
}

function label(m: InboxMessage): string {
  return m.kind === "application"
    ? `app ${m.epoch}.${m.bytes[2]}`
    : `${m.kind} ${m.epoch}`;
}

async function readAll(s: DeliveryStore, c: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await s.fetchInbox(c, after, 3);
    if (page.length === 0) return out;
    out.push(...page.map(label));
    after = page[page.length - 1].cursor;
  }
}

for (const [name, make] of stores) {
  Deno.test(`group log (${name}): one write per group message, whatever the group's size`, async () => {
    const perMessage: number[] = [];
    for (const n of [3, 50, 500]) {
      const s = await make();
      const members = Array.from({ length: n }, (_, i) => id(i + 1));
      await s.createGroup({
        groupId: G,
        epoch: 0,
        members,
        groupInfo: new Uint8Array(8),
        externalJoins: false,
      });
      const before = await s.written();
      for (let i = 0; i < 10; i++) await ok(s, app(members[i % 2], 0, i));
      await ok(s, {
        groupId: G,
        poster: A,
        kind: "proposal",
        epoch: 0,
        message: new Uint8Array([0xbb]),
      });
      await ok(s, commit(A, 0, members));
      perMessage.push((await s.written() - before) / 12);
      // Every other member still reads every message.
      assert.equal((await readAll(s, members[n - 1])).length, 12);
      await s.close();
    }
    assert.deepEqual(perMessage, [1, 1, 1]);
  });

  Deno.test(`group log (${name}): a removed member reads nothing after its removal`, async () => {
    const s = await make();
    await s.createGroup({
      groupId: G,
      epoch: 0,
      members: [A, B, C],
      groupInfo: new Uint8Array(8),
      externalJoins: false,
    });
    await ok(s, app(A, 0, 1));
    await ok(s, commit(A, 0, [A, B])); // C removed: epoch 1
    await ok(s, app(A, 1, 2));
    await ok(s, app(B, 0, 3)); // late, of the removal epoch
    await ok(s, commit(B, 1, [A, B]));
    await ok(s, app(A, 2, 4));
    assert.deepEqual(await readAll(s, C), ["app 0.1", "commit 0"]);
    assert.deepEqual(await readAll(s, B), [
      "app 0.1",
      "commit 0",
      "app 1.2",
      "commit 1",
      "app 2.4",
    ]);
    // C's acknowledgement of its last message lets it go; nothing more comes.
    const [, last] = await s.fetchInbox(C, undefined, 10);
    assert.equal(await s.ack(C, last.cursor), 2);
    await ok(s, app(A, 2, 5));
    assert.deepEqual(await readAll(s, C), []);
    await s.close();
  });

  Deno.test(`group log (${name}): a late joiner reads nothing before its Welcome`, async () => {
    const s = await make();
    await s.createGroup({
      groupId: G,
      epoch: 0,
      members: [A, B],
      groupInfo: new Uint8Array(8),
      externalJoins: false,
    });
    await ok(s, app(A, 0, 1));
    await ok(s, commit(A, 0, [A, B, D], [D]));
    await ok(s, app(B, 0, 2)); // of the epoch before D joined
    await ok(s, app(B, 1, 3));
    assert.deepEqual(await readAll(s, D), ["welcome 1", "app 1.3"]);
    assert.deepEqual(await readAll(s, A), [
      "commit 0",
      "app 0.2",
      "app 1.3",
    ]);
    await s.close();
  });

  Deno.test(`group log (${name}): entries are deleted once every reader's cursor is past them`, async () => {
    const s = await make();
    await s.createGroup({
      groupId: G,
      epoch: 0,
      members: [A, B, C],
      groupInfo: new Uint8Array(8),
      externalJoins: false,
    });
    for (let i = 0; i < 10; i++) await ok(s, app(A, 0, i));
    assert.equal(await s.logSize(G), 10);
    const bs = await s.fetchInbox(B, undefined, 100);
    assert.equal(await s.ack(B, bs[bs.length - 1].cursor), 10);
    assert.equal(await s.logSize(G), 10); // C has read nothing yet
    const cs = await s.fetchInbox(C, undefined, 4);
    assert.equal(await s.ack(C, cs[3].cursor), 4);
    assert.equal(await s.logSize(G), 6);
    // A stream's exact acknowledgement (forget) moves the cursor too.
    const rest = await s.fetchInbox(C, undefined, 100);
    assert.equal(rest.length, 6);
    await s.forget(C, rest.map((m) => m.cursor));
    // A, the poster, reads none of them: its cursor skips them.
    assert.equal(await s.logSize(G), 0);
    assert.deepEqual(await readAll(s, A), []);
    await s.close();
  });

  Deno.test(`group log (${name}): a removed and re-added member reads each membership only`, async () => {
    const s = await make();
    await s.createGroup({
      groupId: G,
      epoch: 0,
      members: [A, B, C],
      groupInfo: new Uint8Array(8),
      externalJoins: false,
    });
    await ok(s, app(A, 0, 1));
    await ok(s, commit(A, 0, [A, B])); // C removed: epoch 1
    await ok(s, app(A, 1, 2));
    await ok(s, commit(A, 1, [A, B, C], [C])); // C back: epoch 2
    await ok(s, app(B, 1, 3)); // late, of the epoch C was out
    await ok(s, app(B, 2, 4));
    assert.deepEqual(await readAll(s, C), [
      "app 0.1",
      "commit 0",
      "welcome 2",
      "app 2.4",
    ]);
    // Acknowledging everything trims the log once every reader is past it.
    for (const c of [A, B, C]) {
      const all = await s.fetchInbox(c, undefined, 100);
      if (all.length > 0) await s.ack(c, all[all.length - 1].cursor);
    }
    assert.equal(await s.logSize(G), 0);
    await s.close();
  });

  Deno.test(`group log (${name}): one commit adds 999 members, each reads its Welcome`, async () => {
    const s = await make();
    try {
      await s.createGroup({
        groupId: G,
        epoch: 0,
        members: [A],
        groupInfo: new Uint8Array(8),
        externalJoins: false,
      });
      const joiners = Array.from({ length: 999 }, (_, i) => id(i + 10));
      // A large GroupInfo and Welcome too, as a real commit of 999 adds.
      const big: AcceptRequest = {
        ...commit(A, 0, [A, ...joiners], joiners),
        groupInfo: new Uint8Array(300_000),
        welcome: { bytes: new Uint8Array(200_000), recipients: joiners },
      };
      await ok(s, big);
      await ok(s, app(A, 1, 7));
      for (const c of [joiners[0], joiners[500], joiners[998]]) {
        const got = await s.fetchInbox(c, undefined, 10);
        assert.deepEqual(got.map(label), ["welcome 1", "app 1.7"]);
        assert.equal(got[0].bytes.length, 200_000);
        assert.deepEqual(await s.groupsOf(c), [G]);
      }
      assert.equal((await s.getGroupInfo(G))?.bytes.length, 300_000);
      assert.equal((await s.getGroup(G))?.members.length, 1000);
    } finally {
      await s.close();
    }
  });

  Deno.test(`group log (${name}): entries nobody read go after the retention period`, async () => {
    const s = await make(200);
    try {
      await s.createGroup({
        groupId: G,
        epoch: 0,
        members: [A, B],
        groupInfo: new Uint8Array(8),
        externalJoins: false,
      });
      await ok(s, app(A, 0, 1));
      await new Promise((r) => setTimeout(r, 400));
      await ok(s, app(A, 0, 2));
      // B never acknowledged the first: gone anyway; the second is there.
      assert.deepEqual(await readAll(s, B), ["app 0.2"]);
      assert.equal(await s.logSize(G), 1);
    } finally {
      await s.close();
    }
  });

  Deno.test(`group log (${name}): one message wakes every waiting member of its group, no one else`, async () => {
    const s = await make();
    try {
      const members = Array.from({ length: 50 }, (_, i) => id(i + 1));
      await s.createGroup({
        groupId: G,
        epoch: 0,
        members,
        groupInfo: new Uint8Array(8),
        externalJoins: false,
      });
      const outsider = id(99);
      const subs = await Promise.all(members.map((c) => s.subscribe(c)));
      const other = await s.subscribe(outsider);
      await ok(s, app(members[0], 0, 1));
      const woken = await Promise.all(
        subs.slice(1).map((x) => x.changed(10_000)),
      );
      assert.ok(woken.every((w) => w), "every other member woke");
      assert.equal(await other.changed(300), false, "a non-member did not");
      // A member added later is woken by the group's next message.
      const late = id(60);
      await ok(s, commit(members[0], 0, [...members, late], [late]));
      const lateSub = await s.subscribe(late);
      assert.deepEqual((await s.fetchInbox(late, undefined, 10)).map(label), [
        "welcome 1",
      ]);
      await ok(s, app(members[1], 1, 2));
      assert.equal(await lateSub.changed(10_000), true);
      for (const x of [...subs, other, lateSub]) x.close();
    } finally {
      await s.close();
    }
  });
}
