// The ratchets of a group are stored as a base record plus one delta record
// per changed entry: every view reloaded from storage carries on exactly
// like the live one (late messages of past epochs, commits, restarts in the
// middle of an epoch, failed writes), a message writes only a few hundred
// bytes however many members have sent, and full writes retire the deltas.
import assert from "node:assert/strict";
import {
  type GroupView,
  MemoryStorage,
  MLS,
  MlsError,
  type Storage,
  type StorageValue,
  type StorageWrite,
} from "../../mod.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { encode } from "../../src/codec/codec.ts";
import type { GroupState } from "../../src/group/state.ts";
import {
  applyRatchetDelta,
  ratchetDeltaWrites,
} from "../../src/api/persist.ts";
import { ratchetsPrefix } from "../../src/api/records.ts";
import {
  SecretTree,
  type SecretTreeState,
} from "../../src/schedule/secret_tree.ts";
import {
  leafRatchetsCodec,
  secretTreeStateCodec,
} from "../../src/group/stored/secret_tree.ts";
import { decode } from "../../src/codec/codec.ts";
import { toHex } from "../../src/util/bytes.ts";

/** A storage that records batches and can be told to fail. */
class Recording implements Storage {
  readonly canStoreCryptoKeys = true;
  readonly inner = new MemoryStorage();
  batches: StorageWrite[][] = [];
  failBatches = 0;
  failGets = 0;

  get(key: string): Promise<StorageValue | undefined> {
    if (this.failGets > 0) {
      this.failGets--;
      return Promise.reject(new Error("disk unreadable"));
    }
    return this.inner.get(key);
  }

  batch(writes: readonly StorageWrite[]): Promise<void> {
    // Deno KV's limit: every batch stays within 100 keys.
    assert.ok(writes.length <= 100, `a batch of ${writes.length} keys`);
    if (this.failBatches > 0) {
      this.failBatches--;
      return Promise.reject(new Error("disk full"));
    }
    this.batches.push(
      writes.map((w) => ({
        key: w.key,
        value: w.value instanceof Uint8Array ? w.value.slice() : w.value,
      })),
    );
    return this.inner.batch(writes);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  /** Bytes (keys and values) written by the batches since `from`. */
  written(from: number): number {
    let n = 0;
    for (const b of this.batches.slice(from)) {
      for (const w of b) {
        n += w.key.length +
          (w.value instanceof Uint8Array ? w.value.length : 0);
      }
    }
    return n;
  }
}

interface Group {
  storage: Recording;
  mls: MLS;
  views: GroupView[];
}

/** A group of `n` members over one recording storage. */
async function group(
  n: number,
  options: { ratchetRecordLimit?: number } = {},
): Promise<Group> {
  const storage = new Recording();
  const mls = new MLS({ storage, ...options });
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(await mls.generateIdentity());
  const creator = await mls.groupCreate(
    ids[0],
    await mls.generateCredential("m0"),
  );
  const kps = [];
  for (let i = 1; i < n; i++) {
    kps.push(
      await mls.generateKeyPackage(
        ids[i],
        await mls.generateCredential(`m${i}`),
      ),
    );
  }
  const views = [creator];
  if (n > 1) {
    const add = await creator.add(kps);
    await creator.receive(add);
    for (let i = 1; i < n; i++) views.push(await mls.groupJoin(ids[i], add));
  }
  return { storage, mls, views };
}

/** Every view of `g` as loaded by a fresh MLS over the same storage. */
async function reopen(g: Group): Promise<GroupView[]> {
  const mls = new MLS({ storage: g.storage });
  return await Promise.all(
    g.views.map(async (v) => (await mls.groupGet(v.groupId, v.clientId))!),
  );
}

async function text(to: GroupView, msg: Uint8Array): Promise<string> {
  const r = await to.receive(msg);
  assert.equal(r.type, "application");
  return r.type === "application" ? r.text() : "";
}

/** `views` share the exporter secret and decrypt a message of each other. */
async function inSync(views: GroupView[], label: string) {
  const want = toHex(await views[0].exportSecret("sync", label, 32));
  for (const v of views) {
    assert.equal(toHex(await v.exportSecret("sync", label, 32)), want);
  }
  for (const [i, from] of views.entries()) {
    const msg = await from.send(`${label} from ${i}`);
    for (const [j, to] of views.entries()) {
      if (j !== i) assert.equal(await text(to, msg), `${label} from ${i}`);
    }
  }
}

async function rejectsCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof MlsError, `not an MlsError: ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** The delta keys of a view in storage. */
function deltaKeys(g: Group, v: GroupView): Promise<string[]> {
  return g.storage.list(ratchetsPrefix(v.groupId, v.clientId));
}

Deno.test("ratchet deltas: reloaded views carry on like the live ones", async () => {
  const g = await group(5);
  const [a, b, c, d, e] = g.views;
  // Several senders, some twice; e receives nothing yet.
  const held: Uint8Array[] = [];
  for (const [i, from] of [a, b, c, a, d, b].entries()) {
    const msg = await from.send(`m${i}`);
    held.push(msg);
    for (const to of [a, b, c, d]) {
      if (to !== from) assert.equal(await text(to, msg), `m${i}`);
    }
  }
  // A restart in the middle of the epoch: the reloaded views reject what
  // the live ones consumed, and accept what e has not seen yet.
  let views = await reopen(g);
  await rejectsCode(views[1].receive(held[0]), "generation_too_old");
  await rejectsCode(views[0].receive(held[5]), "generation_too_old");
  assert.equal(await text(views[4], held[2]), "m2");
  // The live e is the same member: it finds m2's key used (a key is used
  // once). Then a late message of the epoch is held over a commit.
  await rejectsCode(e.receive(held[2]), "generation_too_old");
  const late = await c.send("late");
  assert.equal(await text(a, late), "late");
  const commit = await b.update();
  for (const v of g.views) await v.receive(commit);
  // The late message arrives in the next epoch at d (past epoch's deltas),
  // then everyone restarts.
  assert.equal(await text(d, late), "late");
  views = await reopen(g);
  await rejectsCode(views[3].receive(late), "generation_too_old");
  await rejectsCode(views[0].receive(late), "generation_too_old");
  assert.equal(await text(views[4], late), "late");
  await rejectsCode(e.receive(late), "generation_too_old");
  // Old messages of the past epoch still decrypt where not consumed.
  assert.equal(await text(views[4], held[1]), "m1");
  await rejectsCode(e.receive(held[1]), "generation_too_old");
  await inSync(views, "after restart");
  // The live views follow what the reloaded ones stored.
  await inSync(g.views, "live views again");
  // The reloaded ones go on, restarting again mid-epoch.
  views = await reopen({ ...g, views });
  await inSync(views, "second restart");
  const commit2 = await views[2].commit();
  for (const v of views) await v.receive(commit2);
  views = await reopen({ ...g, views });
  await inSync(views, "after a commit");
});

Deno.test("ratchet deltas: a message writes little in a big group", async () => {
  const g = await group(40);
  const [a] = g.views;
  // 35 members send once; a receives all of them.
  const msgs = [];
  for (let i = 1; i <= 35; i++) msgs.push(await g.views[i].send(`hi ${i}`));
  for (const [i, m] of msgs.entries()) {
    assert.equal(await text(a, m), `hi ${i + 1}`);
  }
  const stored = (await g.storage.get(
    `ratchets/${a.groupId}/${a.clientId}`,
  )) as Uint8Array;
  // One more message from a sender a has seen.
  const next = await g.views[7].send("again");
  const from = g.storage.batches.length;
  assert.equal(await text(a, next), "again");
  const bytes = g.storage.written(from);
  console.log(
    `40 members, 35 senders: base ratchets record ${stored.length} bytes,` +
      ` this message wrote ${bytes} bytes (keys and values)`,
  );
  assert.ok(bytes < 1024, `a message wrote ${bytes} bytes`);
  // A new sender expands its path: O(log n) records, still small.
  const fresh = await g.views[38].send("first");
  const at = g.storage.batches.length;
  assert.equal(await text(a, fresh), "first");
  const grown = g.storage.written(at);
  assert.ok(grown < 4096, `a new sender wrote ${grown} bytes`);
  // The sender's own write is small too.
  const before = g.storage.batches.length;
  await g.views[7].send("and again");
  assert.ok(g.storage.written(before) < 1024);
  // And a reloaded a agrees.
  const [a2] = await reopen({ ...g, views: [a] });
  await rejectsCode(a2.receive(next), "generation_too_old");
  assert.equal(await text(a2, await g.views[7].send("after")), "after");
});

Deno.test("ratchet deltas: full writes retire the deltas; deleteState removes them", async () => {
  const g = await group(3);
  const [a, b, c] = g.views;
  for (const from of [a, b, c, b]) {
    const msg = await from.send("x");
    for (const to of g.views) if (to !== from) await text(to, msg);
  }
  assert.ok((await deltaKeys(g, a)).length > 0);
  const commit = await c.update();
  for (const v of g.views) await v.receive(commit);
  for (const v of g.views) assert.deepEqual(await deltaKeys(g, v), []);
  // A proposal is a full write too.
  const msg = await b.send("y");
  await text(a, msg);
  assert.ok((await deltaKeys(g, a)).length > 0);
  await a.proposeUpdate();
  assert.deepEqual(await deltaKeys(g, a), []);
  const m2 = await c.send("z");
  await text(b, m2);
  assert.ok((await deltaKeys(g, b)).length > 0);
  await b.deleteState();
  assert.deepEqual(await deltaKeys(g, b), []);
  assert.deepEqual(
    (await g.storage.list("")).filter((k) =>
      k.includes(b.groupId) && k.includes(b.clientId)
    ),
    [],
  );
});

Deno.test("ratchet deltas: many deltas are retired within batch limits", async () => {
  const g = await group(40);
  const [a] = g.views;
  for (let i = 1; i < 40; i++) await text(a, await g.views[i].send("m"));
  // The commit's batch stays within 100 keys (checked by the storage), so
  // the older deltas are left as obsolete and deleted by later writes.
  const commit = await a.update();
  const before = await deltaKeys(g, a);
  assert.ok(before.length > 100, `${before.length} deltas`);
  await a.receive(commit);
  const left = await deltaKeys(g, a);
  assert.ok(left.every((k) => before.includes(k)));
  const [reloaded] = await reopen({ ...g, views: [a] });
  assert.equal(
    toHex(await reloaded.exportSecret("x", "", 16)),
    toHex(await a.exportSecret("x", "", 16)),
  );
  for (let i = 0; i < 10; i++) await a.send(`clean ${i}`);
  assert.ok(
    (await deltaKeys(g, a)).every((k) => !before.includes(k)),
    "obsolete deltas left",
  );
});

Deno.test("ratchet deltas: current deltas are bounded, so a load stays cheap", async () => {
  const limit = 64;
  const g = await group(40, { ratchetRecordLimit: limit });
  const [a] = g.views;
  // 39 first messages: each expands a path, about 14 delta records each.
  for (let i = 1; i < 40; i++) await text(a, await g.views[i].send("m"));
  // Known senders: obsolete records are deleted as messages go on.
  for (let i = 0; i < 20; i++) {
    await text(a, await g.views[1 + i % 39].send("n"));
  }
  // At most the limit, plus the records of the last message, plus the
  // obsolete ones not yet deleted (32 per write).
  const keys = await deltaKeys(g, a);
  assert.ok(keys.length <= limit + 32, `${keys.length} delta records stored`);
  const [reloaded] = await reopen({ ...g, views: [a] });
  assert.equal(await text(reloaded, await g.views[5].send("after")), "after");
});

Deno.test("ratchet deltas: a failed write leaves stored state loadable", async () => {
  const g = await group(3);
  const [a, b, c] = g.views;
  await text(b, await a.send("one"));
  // A failed receive: nothing consumed, the message decrypts again.
  const m = await a.send("two");
  g.storage.failBatches = 1;
  await rejectsCode(b.receive(m), "storage_failure");
  assert.equal(await text(b, m), "two");
  // A failed send: its ciphertext never leaves; the next one works.
  g.storage.failBatches = 1;
  await rejectsCode(a.send("lost"), "storage_failure");
  const m3 = await a.send("three");
  assert.equal(await text(b, m3), "three");
  assert.equal(await text(c, m3), "three");
  // A failed commit.
  g.storage.failBatches = 1;
  await rejectsCode(b.update(), "storage_failure");
  assert.ok(!b.hasPendingCommit);
  let views = await reopen(g);
  await rejectsCode(views[1].receive(m3), "generation_too_old");
  await inSync(views, "after failures");
  // A failed write, then a failed reload: the view dropped what it
  // consumed, and once the storage is back it reloads and decrypts the
  // same message.
  const [a2, b2, c2] = views;
  const m4 = await a2.send("four");
  g.storage.failBatches = 1;
  await rejectsCode(b2.receive(m4), "storage_failure");
  g.storage.failGets = 1;
  await rejectsCode(b2.receive(m4), "storage_failure");
  assert.equal(await text(b2, m4), "four");
  const m5 = await c2.send("five");
  assert.equal(await text(b2, m5), "five");
  views = await reopen({ ...g, views });
  await rejectsCode(views[1].receive(m5), "generation_too_old");
  await inSync(views, "after a failed reload");
});

// The change records of a secret tree, written as delta records and
// applied to a copy of its state, rebuild the tree exactly.
Deno.test("ratchet deltas: change records rebuild the tree exactly", async () => {
  const cs = await defaultProvider().suite(1);
  const leaves = 37;
  const tree = SecretTree.create(cs, new Uint8Array(32).fill(9), leaves, {
    maxSkippedKeys: 5,
  });
  const copy = decode(
    secretTreeStateCodec,
    encode(secretTreeStateCodec, tree.state),
    "SecretTree",
  );
  const trees = new Map<bigint, SecretTreeState>([[3n, copy]]);
  const state = {
    context: { epoch: 3n },
    secretTree: tree,
    past: [],
  } as unknown as GroupState;
  const prefix = ratchetsPrefix("ab", "cd");
  let seed = 1;
  const rand = (n: number) => (seed = (seed * 48271) % 0x7fffffff) % n;
  for (let round = 0; round < 60; round++) {
    const leaf = rand(leaves);
    const op = rand(4);
    if (op === 0) await tree.nextKey(leaf, "application");
    else if (op === 1) await tree.nextKey(leaf, "handshake");
    else if (op === 2) {
      await tree.consumeKey(leaf, "application", rand(12)).catch(() => {});
    } else {
      await tree.withKey(leaf, "handshake", rand(4), () => {
        if (rand(2) === 0) throw new Error("forged");
      }).catch(() => {});
    }
    for (const w of ratchetDeltaWrites(state, "ab", "cd", 7)) {
      assert.ok(w.key.startsWith(`${prefix}7/3/`));
      applyRatchetDelta(trees, prefix, w.key, w.value as Uint8Array);
    }
    assert.equal(
      toHex(encode(secretTreeStateCodec, copy)),
      toHex(encode(secretTreeStateCodec, tree.state)),
    );
  }
  assert.deepEqual(tree.takeChanges(), { leaves: [], nodes: [] });
  assert.deepEqual(tree.clone().takeChanges(), { leaves: [], nodes: [] });
});

Deno.test("ratchet deltas: malformed delta records are rejected", () => {
  const prefix = ratchetsPrefix("ab", "cd");
  const tree = (): Map<bigint, SecretTreeState> =>
    new Map([[1n, { leafCount: 4, nodes: new Map(), leaves: new Map() }]]);
  const leaf = encode(leafRatchetsCodec, {
    handshake: {
      generation: 0,
      secret: new Uint8Array(32),
      skipped: new Map(),
    },
    application: {
      generation: 2,
      secret: new Uint8Array(32),
      skipped: new Map(),
    },
  });
  const present = new Uint8Array([1, ...leaf]);
  const ok = tree();
  applyRatchetDelta(ok, prefix, `${prefix}0/1/l3`, present.slice());
  assert.equal(ok.get(1n)!.leaves.get(3)!.application.generation, 2);
  const cases: Array<[string, Uint8Array, string, string]> = [
    [`${prefix}0/1/l3`, present.subarray(0, 20), "truncated", "RatchetDelta"],
    [
      `${prefix}0/1/l3`,
      new Uint8Array([...present, 0]),
      "trailing_bytes",
      "RatchetDelta",
    ],
    [`${prefix}0/1/l3`, new Uint8Array([2]), "invalid_value", "RatchetDelta"],
    [`${prefix}0/1/l4`, present, "invalid_leaf_index", "RatchetDelta"],
    [`${prefix}0/2/l1`, present, "invalid_value", "RatchetDelta.epoch"],
    [`${prefix}0/1/x1`, present, "invalid_value", "RatchetDelta.key"],
    [`${prefix}01/1/l1`, present, "invalid_value", "RatchetDelta.key"],
    [`${prefix}0/1/n99`, new Uint8Array([0]), "invalid_value", "RatchetDelta"],
  ];
  for (const [key, value, code, field] of cases) {
    assert.throws(
      () => applyRatchetDelta(tree(), prefix, key, value.slice()),
      (e) => {
        assert.ok(e instanceof MlsError, `${key}: ${e}`);
        assert.equal(e.code, code, `${key}: ${e.message}`);
        assert.ok(e.field?.startsWith(field), `${key}: ${e.field}`);
        return true;
      },
    );
  }
});

Deno.test("ratchet deltas: a state stored with a version 1 ratchets record loads", async () => {
  const g = await group(3);
  const [a, b, c] = g.views;
  const commit = await a.update();
  for (const v of g.views) await v.receive(commit);
  const m = await b.send("before");
  await text(c, m);
  // Rewrite c's state as the previous version stored it: a version 1 base
  // record (no generation) with its messages in it, and no deltas.
  const key = `ratchets/${c.groupId}/${c.clientId}`;
  const v2 = (await g.storage.get(key)) as Uint8Array;
  assert.equal(v2[0], 2);
  await g.storage.batch([
    { key, value: new Uint8Array([1, ...v2.subarray(5)]) },
    ...(await deltaKeys(g, c)).map((k) => ({ key: k })),
  ]);
  // The view loads the version 1 record (b's message is not consumed in
  // it, so it decrypts again), writes deltas on top of it, and reloads.
  let [c2] = await reopen({ ...g, views: [c] });
  assert.equal(await text(c2, m), "before");
  assert.equal(await text(c2, await a.send("on v1")), "on v1");
  assert.ok(
    (await deltaKeys(g, c)).every((k) => k.includes(`/${c.clientId}/0/`)),
  );
  [c2] = await reopen({ ...g, views: [c] });
  await rejectsCode(c2.receive(m), "generation_too_old");
  await inSync([a, b, c2], "from v1");
  // The next full write stores a version 2 record and retires the deltas.
  const commit2 = await a.update();
  for (const v of [a, b, c2]) await v.receive(commit2);
  assert.equal(((await g.storage.get(key)) as Uint8Array)[0], 2);
  assert.deepEqual(await deltaKeys(g, c), []);
  await inSync([a, b, c2], "after v1");
});

Deno.test("ratchet deltas: ratchetRecordLimit must be a positive integer", () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => new MLS({ ratchetRecordLimit: bad }), (e) => {
      assert.ok(e instanceof MlsError);
      assert.equal(e.code, "invalid_argument");
      assert.equal(e.field, "ratchetRecordLimit");
      return true;
    });
  }
  new MLS({ ratchetRecordLimit: 1 });
});
