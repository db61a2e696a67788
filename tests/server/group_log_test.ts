// Fan-out on read (issue 23): a group message is written once, into its
// group's log, whatever the group's size; members read the log from their
// cursors. Removed members read nothing after their removal, late joiners
// nothing before their Welcome, and the log is trimmed once every reader's
// cursor is past an entry.
import assert from "node:assert/strict";
import { MemoryStore } from "../../server/store/memory.ts";
import type { AcceptRequest, InboxMessage } from "../../server/store/store.ts";

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

async function ok(s: MemoryStore, r: AcceptRequest): Promise<void> {
  const res = await s.accept(r);
  assert.ok(res.ok, JSON.stringify(res));
}

function label(m: InboxMessage): string {
  return m.kind === "application"
    ? `app ${m.epoch}.${m.bytes[2]}`
    : `${m.kind} ${m.epoch}`;
}

async function readAll(s: MemoryStore, c: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await s.fetchInbox(c, after, 3);
    if (page.length === 0) return out;
    out.push(...page.map(label));
    after = page[page.length - 1].cursor;
  }
}

Deno.test("group log (memory): one write per group message, whatever the group's size", async () => {
  const perMessage: number[] = [];
  for (const n of [3, 50, 500]) {
    const s = new MemoryStore();
    const members = Array.from({ length: n }, (_, i) => id(i + 1));
    await s.createGroup({
      groupId: G,
      epoch: 0,
      members,
      groupInfo: new Uint8Array(8),
      externalJoins: false,
    });
    const before = s.writes;
    for (let i = 0; i < 10; i++) await ok(s, app(members[i % 2], 0, i));
    await ok(s, {
      groupId: G,
      poster: A,
      kind: "proposal",
      epoch: 0,
      message: new Uint8Array([0xbb]),
    });
    await ok(s, commit(A, 0, members));
    perMessage.push((s.writes - before) / 12);
    // Every other member still reads every message.
    assert.equal((await readAll(s, members[n - 1])).length, 12);
    s.close();
  }
  assert.deepEqual(perMessage, [1, 1, 1]);
});

Deno.test("group log (memory): a removed member reads nothing after its removal", async () => {
  const s = new MemoryStore();
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
  s.close();
});

Deno.test("group log (memory): a late joiner reads nothing before its Welcome", async () => {
  const s = new MemoryStore();
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
  s.close();
});

Deno.test("group log (memory): entries are deleted once every reader's cursor is past them", async () => {
  const s = new MemoryStore();
  await s.createGroup({
    groupId: G,
    epoch: 0,
    members: [A, B, C],
    groupInfo: new Uint8Array(8),
    externalJoins: false,
  });
  for (let i = 0; i < 10; i++) await ok(s, app(A, 0, i));
  assert.equal(s.logSize(G), 10);
  const bs = await s.fetchInbox(B, undefined, 100);
  assert.equal(await s.ack(B, bs[bs.length - 1].cursor), 10);
  assert.equal(s.logSize(G), 10); // C has read nothing yet
  const cs = await s.fetchInbox(C, undefined, 4);
  assert.equal(await s.ack(C, cs[3].cursor), 4);
  assert.equal(s.logSize(G), 6);
  // A stream's exact acknowledgement (forget) moves the cursor too.
  const rest = await s.fetchInbox(C, undefined, 100);
  assert.equal(rest.length, 6);
  await s.forget(C, rest.map((m) => m.cursor));
  // A, the poster, reads none of them: its cursor skips them.
  assert.equal(s.logSize(G), 0);
  assert.deepEqual(await readAll(s, A), []);
  s.close();
});

Deno.test("group log (memory): a removed and re-added member reads each membership only", async () => {
  const s = new MemoryStore();
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
  assert.equal(s.logSize(G), 0);
  s.close();
});
