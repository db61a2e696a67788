// Inbox reads cost the page, not the inbox (issue 12, finding 7), on both
// stores. The work is counted, not timed: on Deno KV, the entries the store
// lists and gets through a counting wrapper of the database; in memory, the
// comparisons against the caller's cursor (a cursor object that counts its
// conversions). Then the semantics that must survive: acknowledgement
// deletes exactly up to the cursor, paging loses and repeats nothing, order
// is acceptance order across groups and around commits, and a reader moves
// entries that no sequencer moved (a writer that crashed, another process).
import assert from "node:assert/strict";
import { KvStore } from "../../server/store/kv.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import { freshDatabase, openPg, PG_URL } from "./pg_stores.ts";
import type {
  AcceptRequest,
  DeliveryStore,
  InboxMessage,
} from "../../server/store/store.ts";

const ALICE = "a1".repeat(32);
const BOB = "b0".repeat(32);
const G1 = "01".repeat(16);
const G2 = "02".repeat(16);
const PAGE = 100;
const N = 2000;
/** Far above any wait below: only a hang reaches it. */
const BOUND_MS = 20_000;

/** Reads and entries read through a Deno KV handle. */
interface KvCounts {
  calls: number;
  entries: number;
}

/** Wraps `kv` so that every list/get/getMany and entry read is counted. */
function countingKv(kv: Deno.Kv): { kv: Deno.Kv; counts: KvCounts } {
  const counts: KvCounts = { calls: 0, entries: 0 };
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      if (prop === "list") {
        return (
          selector: Deno.KvListSelector,
          options?: Deno.KvListOptions,
        ) => {
          counts.calls++;
          const it = target.list(selector, options);
          return {
            [Symbol.asyncIterator]() {
              return this;
            },
            async next() {
              const r = await it.next();
              if (!r.done) counts.entries++;
              return r;
            },
            get cursor() {
              return it.cursor;
            },
          };
        };
      }
      if (prop === "get") {
        return (
          key: Deno.KvKey,
          o?: { consistency?: Deno.KvConsistencyLevel },
        ) => {
          counts.calls++;
          counts.entries++;
          return target.get(key, o);
        };
      }
      if (prop === "getMany") {
        return (
          keys: Deno.KvKey[],
          o?: { consistency?: Deno.KvConsistencyLevel },
        ) => {
          counts.calls++;
          counts.entries += keys.length;
          return target.getMany(keys, o);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { kv: wrapped, counts };
}

/** A cursor that counts how often the store converts (compares) it. */
function countingCursor(
  cursor: string,
): { cursor: string; uses: () => number } {
  let n = 0;
  const c = {
    [Symbol.toPrimitive]: () => {
      n++;
      return cursor;
    },
  };
  return { cursor: c as unknown as string, uses: () => n };
}

interface Setup {
  store: DeliveryStore;
  /** Work done by the store since the last reset (see the file comment). */
  work(): number;
  reset(): void;
  /** Waits for background work of the store (not counted). */
  settle(): Promise<void>;
  /** Whether `work` counts calls with a plain cursor too (Deno KV). */
  countsAll: boolean;
  cleanup(): Promise<void>;
}

async function group(store: DeliveryStore, gid: string): Promise<void> {
  assert.ok(
    await store.createGroup({
      groupId: gid,
      epoch: 0,
      members: [ALICE, BOB],
      groupInfo: new Uint8Array(8),
      externalJoins: false,
    }),
  );
}

/** Application message `i` from alice (its index in its first two bytes). */
function app(gid: string, i: number, epoch = 0): AcceptRequest {
  return {
    groupId: gid,
    poster: ALICE,
    kind: "application",
    epoch,
    message: new Uint8Array([i >> 8, i & 255, 1, 2, 3]),
  };
}

function indexOf(m: InboxMessage): number {
  return (m.bytes[0] << 8) | m.bytes[1];
}

async function post(store: DeliveryStore, req: AcceptRequest): Promise<void> {
  const r = await store.accept(req);
  assert.ok(r.ok, `accepted: ${JSON.stringify(r)}`);
}

/** Every message of bob's inbox, paging by `limit` from the oldest. */
async function all(
  store: DeliveryStore,
  limit: number,
): Promise<InboxMessage[]> {
  const out: InboxMessage[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.fetchInbox(BOB, after, limit);
    out.push(...page);
    if (page.length < limit) return out;
    after = page[page.length - 1].cursor;
  }
}

function memorySetup(): Promise<Setup> {
  return Promise.resolve({
    store: new MemoryStore(),
    work: () => 0,
    reset() {},
    settle: () => Promise.resolve(),
    countsAll: false,
    cleanup: () => Promise.resolve(),
  });
}

async function kvSetup(): Promise<Setup & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "webmls-inbox-scale-" });
  const raw = await Deno.openKv(`${dir}/scale.kv`);
  const { kv, counts } = countingKv(raw);
  const store = new KvStore(kv, { ownsKv: false });
  return {
    dir,
    store,
    work: () => counts.entries,
    reset() {
      counts.calls = 0;
      counts.entries = 0;
    },
    settle: () => flush(store),
    countsAll: true,
    async cleanup() {
      await store.close();
      raw.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function pgSetup(url?: string): Promise<Setup> {
  const store = await openPg({}, url);
  return {
    store,
    // Not counted: the work of a query is the database's (its plans use
    // the (group, position) and (client, position) keys).
    work: () => 0,
    reset() {},
    settle: () => Promise.resolve(),
    countsAll: false,
    cleanup: () => store.close(),
  };
}

const setups: [string, () => Promise<Setup>][] = [
  ["memory", memorySetup],
  ["Deno KV", kvSetup],
  ...PG_URL
    ? [["Postgres", () => pgSetup()] as [string, () => Promise<Setup>]]
    : [],
];

/** The tests that count work: on the stores that can count it. */
const counted = (name: string) => name !== "Postgres";

for (const [name, make] of setups) {
  /** A 2,000-message inbox: the setup and bob's oldest 1,000 messages. */
  const filled = async (): Promise<[Setup, InboxMessage[]]> => {
    const s = await make();
    await group(s.store, G1);
    for (let i = 0; i < N; i++) await post(s.store, app(G1, i));
    await s.settle();
    const first = await s.store.fetchInbox(BOB, undefined, 1000);
    assert.equal(first.length, 1000);
    return [s, first];
  };

  if (counted(name)) {
    Deno.test(`inbox scale (${name}): a fetch touches only the page`, async () => {
      const [s, first] = await filled();
      try {
        // A page from the middle.
        const c = countingCursor(first[999].cursor);
        s.reset();
        const page = await s.store.fetchInbox(BOB, c.cursor, PAGE);
        const work = s.countsAll ? s.work() : c.uses();
        assert.deepEqual(page.map(indexOf), range(1000, 1000 + PAGE));
        assert.ok(
          work <= 2 * PAGE,
          `fetching ${PAGE} of ${N} did ${work} units of work`,
        );
        if (s.countsAll) {
          // And from the oldest (no cursor).
          s.reset();
          const head = await s.store.fetchInbox(BOB, undefined, PAGE);
          assert.deepEqual(head.map(indexOf), range(0, PAGE));
          assert.ok(s.work() <= 2 * PAGE, `from the oldest: ${s.work()}`);
        }
      } finally {
        await s.cleanup();
      }
    });

    Deno.test(`inbox scale (${name}): an ack touches only what it deletes`, async () => {
      const [s, first] = await filled();
      try {
        const c = countingCursor(first[PAGE - 1].cursor);
        s.reset();
        assert.equal(await s.store.ack(BOB, c.cursor), PAGE);
        const work = s.countsAll ? s.work() : c.uses();
        assert.ok(
          work <= 2 * PAGE,
          `acknowledging ${PAGE} of ${N} did ${work} units of work`,
        );
      } finally {
        await s.cleanup();
      }
    });
  }

  Deno.test(`inbox scale (${name}): ack deletes exactly up to the cursor; paging loses nothing`, async () => {
    const s = await make();
    try {
      await group(s.store, G1);
      for (let i = 0; i < 250; i++) await post(s.store, app(G1, i));
      await s.settle();
      const before = await all(s.store, 7);
      assert.deepEqual(before.map(indexOf), range(0, 250));
      assert.equal(new Set(before.map((m) => m.cursor)).size, 250);

      // Ack up to the 120th: exactly 120 go, the 121st is first.
      assert.equal(await s.store.ack(BOB, before[119].cursor), 120);
      const after = await all(s.store, 9);
      assert.deepEqual(after.map(indexOf), range(120, 250));
      assert.deepEqual(
        after.map((m) => m.cursor),
        before.slice(120).map((m) => m.cursor),
      );
      // Acking the same cursor again deletes nothing more.
      assert.equal(await s.store.ack(BOB, before[119].cursor), 0);
      // New messages come after every cursor handed out.
      for (let i = 250; i < 260; i++) await post(s.store, app(G1, i));
      await s.settle();
      const tail = await s.store.fetchInbox(BOB, before[249].cursor, 100);
      assert.deepEqual(tail.map(indexOf), range(250, 260));
      assert.ok(tail[0].cursor > before[249].cursor);
      // Ack everything: empty.
      assert.equal(await s.store.ack(BOB, tail[9].cursor), 140);
      assert.deepEqual(await s.store.fetchInbox(BOB, undefined, 100), []);
    } finally {
      await s.cleanup();
    }
  });

  Deno.test(`inbox scale (${name}): a message accepted before a fetch is in it`, async () => {
    const s = await make();
    try {
      await group(s.store, G1);
      let after: string | undefined;
      for (let i = 0; i < 60; i++) {
        await post(s.store, app(G1, i));
        // No settling: the background sequencer may be mid-run.
        const page = await s.store.fetchInbox(BOB, after, 10);
        assert.deepEqual(page.map(indexOf), [i]);
        after = page[0].cursor;
      }
    } finally {
      await s.cleanup();
    }
  });

  Deno.test(`inbox scale (${name}): acceptance order across groups and around commits`, async () => {
    const s = await make();
    try {
      await group(s.store, G1);
      await group(s.store, G2);
      const expected: string[] = [];
      let i = 0;
      for (let epoch = 0; epoch < 3; epoch++) {
        for (let k = 0; k < 6; k++, i++) {
          // G2 stays at epoch 0.
          await post(s.store, k % 2 ? app(G2, i) : app(G1, i, epoch));
          expected.push(`app ${i}`);
        }
        // A commit of G1 by bob; then application data of the new epoch
        // (same group sequence number, so its key sorts before the commit).
        const r = await s.store.accept({
          groupId: G1,
          poster: BOB,
          kind: "commit",
          epoch,
          message: new Uint8Array([0xff, epoch]),
          nextMembers: [ALICE, BOB],
          groupInfo: new Uint8Array(8),
        });
        assert.ok(r.ok);
        expected.push(`commit ${epoch}`);
      }
      await s.settle();
      const got = (await all(s.store, 4)).map((m) =>
        m.kind === "commit" ? `commit ${m.bytes[1]}` : `app ${indexOf(m)}`
      );
      assert.deepEqual(got, expected);
    } finally {
      await s.cleanup();
    }
  });
}

Deno.test("inbox scale (Deno KV): a reader reads what another process wrote, unnotified", async () => {
  const s = await kvSetup();
  // Another process's store on the same file: no in-process notification
  // reaches the reader's store, and the log is all there is.
  const other = await KvStore.open(`${s.dir}/scale.kv`);
  try {
    await group(s.store, G1);
    for (let i = 0; i < 30; i++) await post(other, app(G1, i));
    assert.deepEqual((await all(s.store, 8)).map(indexOf), range(0, 30));
  } finally {
    await other.close();
    await s.cleanup();
  }
});

Deno.test("inbox scale (Deno KV): a woken reader's fetch is a handful of reads", async () => {
  const s = await kvSetup();
  try {
    const solo = "03".repeat(16);
    await group(s.store, G1);
    assert.ok(
      await s.store.createGroup({
        groupId: solo,
        epoch: 0,
        members: [ALICE],
        groupInfo: new Uint8Array(8),
        externalJoins: false,
      }),
    );
    const sub = await s.store.subscribe(BOB);
    // A message to nobody (alice alone in her group), then one to bob:
    // bob's waiter wakes for his group's message.
    await post(s.store, app(solo, 1));
    await post(s.store, app(G1, 2));
    assert.equal(await sub.changed(BOUND_MS), true);
    sub.close();
    s.reset();
    assert.deepEqual(
      (await s.store.fetchInbox(BOB, undefined, 10)).map(indexOf),
      [2],
    );
    // The clock, bob's one group, its record, roster reference and read
    // position, and the one entry: not a read per message in the log.
    assert.ok(s.work() <= 8, `the fetch read ${s.work()} entries`);
  } finally {
    await s.cleanup();
  }
});

Deno.test("inbox scale (Deno KV): waiters wake for a write by another process", async () => {
  const s = await kvSetup();
  const other = await KvStore.open(`${s.dir}/scale.kv`, { pollIntervalMs: 20 });
  try {
    await group(s.store, G1);
    // Many waiters on one watcher: alice's and bob's, several each.
    const subs = await Promise.all(
      [ALICE, BOB, ALICE, BOB, BOB].map((c) => other.subscribe(c)),
    );
    await post(s.store, app(G1, 7)); // bob's inbox only
    const bobs = [subs[1], subs[3], subs[4]];
    assert.deepEqual(
      await Promise.all(bobs.map((x) => x.changed(BOUND_MS))),
      [true, true, true],
    );
    assert.deepEqual(
      (await other.fetchInbox(BOB, undefined, 10)).map(indexOf),
      [7],
    );
    for (const x of subs) x.close();
  } finally {
    await other.close();
    await s.cleanup();
  }
});

Deno.test("inbox scale (Deno KV): two processes write and a reader acks; each message exactly once", async () => {
  const s = await kvSetup();
  const other = await KvStore.open(`${s.dir}/scale.kv`);
  try {
    await group(s.store, G1);
    const writes = Promise.all(
      range(0, 120).map((i) => post(i % 2 ? other : s.store, app(G1, i))),
    );
    // Read and acknowledge while the writers and their sequencers run.
    const sub = await s.store.subscribe(BOB);
    const seen: number[] = [];
    let done = false;
    writes.then(() => done = true);
    for (;;) {
      const finished = done;
      const page = await s.store.fetchInbox(BOB, undefined, 10);
      seen.push(...page.map(indexOf));
      if (page.length > 0) {
        assert.equal(await s.store.ack(BOB, page.at(-1)!.cursor), page.length);
      } else if (finished) {
        await flush(other);
        await s.settle();
        const rest = await all(s.store, 10);
        seen.push(...rest.map(indexOf));
        break;
      } else await Promise.race([writes, sub.changed(5000)]);
    }
    sub.close();
    await writes;
    assert.deepEqual([...seen].sort((a, b) => a - b), range(0, 120));
  } finally {
    await other.close();
    await s.cleanup();
  }
});

if (PG_URL) {
  Deno.test("inbox scale (Postgres): two nodes write and a reader acks; each message exactly once", async () => {
    const url = await freshDatabase();
    const s = await pgSetup(url);
    const other = await openPg({}, url);
    try {
      await group(s.store, G1);
      const writes = Promise.all(
        range(0, 120).map((i) => post(i % 2 ? other : s.store, app(G1, i))),
      );
      const sub = await s.store.subscribe(BOB);
      const seen: number[] = [];
      const seqs: number[] = [];
      let done = false;
      writes.then(() => done = true);
      for (;;) {
        const finished = done;
        const page = await s.store.fetchInbox(BOB, undefined, 10);
        seen.push(...page.map(indexOf));
        seqs.push(...page.map((m) => m.seq));
        if (page.length > 0) {
          assert.equal(
            await s.store.ack(BOB, page.at(-1)!.cursor),
            page.length,
          );
        } else if (finished) break;
        else await Promise.race([writes, sub.changed(5000)]);
      }
      sub.close();
      await writes;
      // In acceptance order (the group's sequence numbers), each once: a
      // cursor never skipped a position committed late.
      assert.deepEqual(seqs, range(1, 121));
      assert.deepEqual([...seen].sort((a, b) => a - b), range(0, 120));
    } finally {
      await other.close();
      await s.cleanup();
    }
  });
}

/** Waits for a store's background work (stores before the log had none). */
async function flush(store: DeliveryStore): Promise<void> {
  await (store as { flush?: () => Promise<void> }).flush?.();
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
