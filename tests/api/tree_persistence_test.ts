// The tree of a stored state is a base record plus per-commit delta records
// (state format 3): a processed commit writes O(log n) bytes, loading after
// many delta commits gives the same state, and format 2 records still load.
import assert from "node:assert/strict";
import {
  type GroupView,
  MemoryStorage,
  MLS,
  type Storage,
  type StorageValue,
  type StorageWrite,
} from "../../mod.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { loadState, MAX_TREE_DELTAS } from "../../src/api/persist.ts";
import {
  groupKey,
  pendingKey,
  treeKey,
  treePrefix,
} from "../../src/api/records.ts";
import { readPendingCommit } from "../../src/api/pending_commit.ts";
import { encode } from "../../src/codec/codec.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import type { GroupState } from "../../src/group/state.ts";
import { serializeGroupState } from "../../src/group/stored/serialize.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { bytesEqual, utf8Encode } from "../../src/util/bytes.ts";

/** Counts the bytes (keys and values) of every batch. */
class Counting implements Storage {
  readonly canStoreCryptoKeys = true;
  readonly inner = new MemoryStorage();
  bytes = 0;
  get(key: string): Promise<StorageValue | undefined> {
    return this.inner.get(key);
  }
  batch(
    writes: readonly StorageWrite[],
    options?: Parameters<Storage["batch"]>[1],
  ): Promise<void> {
    assert.ok(writes.length <= 100, `a batch of ${writes.length} keys`);
    for (const w of writes) {
      this.bytes += w.key.length +
        (w.value instanceof Uint8Array ? w.value.length : 0);
    }
    return this.inner.batch(writes, options);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

/** A group of `n` members of which the first `views` have views. */
async function group(n: number, views: number) {
  const storage = new Counting();
  const mls = new MLS({ storage });
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
  const add = await creator.add(kps);
  await creator.receive(add);
  const out: GroupView[] = [creator];
  for (let i = 1; i < views; i++) out.push(await mls.groupJoin(ids[i], add));
  return { storage, mls, views: out };
}

/** `from` commits an update and every view receives it. */
async function update(views: GroupView[], from: number): Promise<void> {
  const c = await views[from].update();
  for (const v of views) await v.receive(c);
}

/** The loaded state of `v` in `storage`, straight from the records. */
async function loaded(storage: Storage, v: GroupView) {
  const signer = (await storage.get(`signer/${v.clientId}`)) as Uint8Array;
  const l = await loadState(
    storage,
    defaultProvider(),
    groupKey(v.groupId, v.clientId),
    v.groupId,
    v.clientId,
    signer,
  );
  return l!.state;
}

/** The encoded ratchet tree of `s`. */
function encodeTree(s: GroupState): Uint8Array {
  return encode(ratchetTreeCodec, s.tree.toNodes());
}

/** `a` and `b` are the same member's state: same keys, same tree. */
async function sameState(a: GroupView, b: GroupView): Promise<void> {
  assert.equal(a.epoch, b.epoch);
  assert.deepEqual(
    await a.exportSecret("t", "c", 32),
    await b.exportSecret("t", "c", 32),
  );
  assert.ok(bytesEqual(a.ratchetTree(), b.ratchetTree()));
}

Deno.test("tree records: a processed commit at 256 members writes O(log n) bytes", async () => {
  const n = 256;
  const { storage, views } = await group(n, 6);
  // Fill parents along a few paths.
  for (let k = 3; k < views.length; k++) await update(views, k);
  const commit = await views[1].update();
  await views[1].receive(commit);
  const from = storage.bytes;
  await views[2].receive(commit);
  const written = storage.bytes - from;
  // A path of log2(n) parents (HPKE key, parent hash, unmerged leaves), the
  // committer's leaf, the changed tree hashes, the epoch's secrets and
  // context, the ratchets: 600 bytes per level and 3 KB more. The whole
  // state was about 45 KB here before the tree was stored apart.
  const bound = 600 * Math.log2(n) + 3000;
  assert.ok(written < bound, `wrote ${written} bytes, bound ${bound}`);
});

Deno.test("tree records: loading after many delta commits gives the same state", async () => {
  const { storage, views } = await group(20, 4);
  // Past the delta limit: deltas, a new base, deltas again.
  for (let i = 0; i < MAX_TREE_DELTAS + 8; i++) {
    await update(views, i % views.length);
    if (i % 9 !== 0 && i !== MAX_TREE_DELTAS + 7) continue;
    const mls = new MLS({ storage });
    for (const v of views) {
      const again = (await mls.groupGet(v.groupId, v.clientId))!;
      await sameState(v, again);
      // The loaded tree (with its stored hashes) hashes to the epoch's
      // tree hash, and so does a fresh copy of it that hashes every node.
      const s = await loaded(storage, v);
      assert.ok(bytesEqual(await s.tree.treeHash(s.cs), s.context.treeHash));
      const fresh = RatchetTree.fromNodes(s.tree.toNodes());
      assert.ok(bytesEqual(await fresh.treeHash(s.cs), s.context.treeHash));
    }
  }
  // At most MAX_TREE_DELTAS delta records per view, none left behind.
  const v = views[0];
  const deltas = await storage.list(treePrefix(v.groupId, v.clientId));
  assert.ok(deltas.length <= MAX_TREE_DELTAS, `${deltas.length} deltas`);
  // The loaded views go on working with the others.
  const mls = new MLS({ storage });
  const b = (await mls.groupGet(views[1].groupId, views[1].clientId))!;
  const c = await b.update();
  for (const x of [b, views[0], views[2], views[3]]) await x.receive(c);
  await sameState(views[0], b);
});

Deno.test("tree records: a format 2 group record (tree inside) still loads", async () => {
  const { storage, views } = await group(12, 3);
  await update(views, 1);
  const v = views[2];
  // Rewrite v's state as format 2 and drop its tree records.
  const s = await loaded(storage, v);
  const v2 = serializeGroupState(s, { signerRef: utf8Encode(v.clientId) });
  assert.equal(v2[5], 2);
  const trees = await storage.list(treePrefix(v.groupId, v.clientId));
  await storage.batch([
    { key: groupKey(v.groupId, v.clientId), value: v2 },
    { key: treeKey(v.groupId, v.clientId) },
    ...trees.map((key) => ({ key })),
  ]);
  const mls = new MLS({ storage });
  const again = (await mls.groupGet(v.groupId, v.clientId))!;
  await sameState(v, again);
  // Its next write is format 3 with tree records; it loads again.
  const c = await views[0].update();
  for (const x of [views[0], views[1], again]) await x.receive(c);
  const g = (await storage.get(groupKey(v.groupId, v.clientId))) as Uint8Array;
  assert.equal(g[5], 3);
  assert.ok(await storage.get(treeKey(v.groupId, v.clientId)));
  const third = (await new MLS({ storage }).groupGet(v.groupId, v.clientId))!;
  await sameState(views[1], third);
});

Deno.test("pending record: the next epoch's tree and the GroupInfo's tree are not stored twice, and read back whole", async () => {
  const { storage, views } = await group(40, 2);
  const a = views[1];
  const out = await a.update();
  const key = pendingKey(a.groupId, a.clientId);
  const bytes = (await storage.get(key)) as Uint8Array;
  assert.equal(bytes[0], 3);
  // Less than the GroupInfo with its tree: neither the state's tree nor the
  // GroupInfo's ratchet_tree extension is in the record.
  assert.ok(bytes.length < out.groupInfo.length, `${bytes.length} bytes`);
  const current = await loaded(storage, a);
  const signer = (await storage.get(`signer/${a.clientId}`)) as Uint8Array;
  const p = await readPendingCommit(bytes, defaultProvider(), signer, current);
  assert.ok(bytesEqual(p.record.groupInfo, out.groupInfo));
  assert.ok(bytesEqual(p.record.commit, out.commit));
  assert.equal(p.record.groupInfoTreeOmitted, undefined);
  assert.ok(bytesEqual(encodeTree(p.state), out.ratchetTree));
  // And through the API after a restart.
  const a2 = (await new MLS({ storage }).groupGet(a.groupId, a.clientId))!;
  assert.ok(a2.hasPendingCommit);
  assert.equal((await a2.receive(out)).type, "commit");
  assert.equal((await views[0].receive(out)).type, "commit");
  await sameState(views[0], a2);
});

Deno.test("tree records: deltas a new base made obsolete are deleted by later writes, also after a reload", async () => {
  const { storage, views } = await group(24, 3);
  const v = views[2];
  const prefix = treePrefix(v.groupId, v.clientId);
  const baseGen = async () => {
    const b = (await storage.get(treeKey(v.groupId, v.clientId))) as Uint8Array;
    return new DataView(b.buffer, b.byteOffset).getUint32(1);
  };
  const gen0 = await baseGen();
  let i = 0;
  while (await baseGen() === gen0) {
    await update(views, i++ % 2);
    assert.ok(i <= MAX_TREE_DELTAS + 1, "no new base");
  }
  // The base record and the obsolete deltas are one generation apart.
  const gen1 = await baseGen();
  const stale = (await storage.list(prefix)).filter((k) =>
    k.startsWith(`${prefix}${gen0}/`)
  );
  assert.ok(stale.length > 0);
  // A reloaded view finds them and deletes them with its next writes.
  const mls = new MLS({ storage });
  const again = (await mls.groupGet(v.groupId, v.clientId))!;
  const rest = [views[0], views[1], again];
  for (let k = 0; k < Math.ceil(stale.length / 16) + 1; k++) {
    await update(rest, k % 2);
  }
  const left = await storage.list(prefix);
  assert.deepEqual(left.filter((k) => !k.startsWith(`${prefix}${gen1}/`)), []);
  await sameState(views[0], again);
});
