// Several live views of one member over one storage (two tabs on one
// IndexedDB, two `MLS` instances in one process): they never use a ratchet
// generation twice, never decrypt a message twice, never hold two pending
// commits, and never lose what another view stored. Each scenario runs with
// Web Locks (Deno has `navigator.locks`) and without them, where only the
// storage's conditional batches keep the views apart.
import assert from "node:assert/strict";
import {
  type BatchOptions,
  type GroupView,
  MemoryStorage,
  MLS,
  MlsError,
  type Storage,
  type StorageWrite,
} from "../../mod.ts";
import { type Slot, slotKey, slotReader } from "./generations.ts";

/** Runs `fn` with `navigator.locks` hidden, as on a runtime without it. */
async function withoutWebLocks<T>(fn: () => Promise<T>): Promise<T> {
  const nav = globalThis.navigator as unknown as Record<string, unknown>;
  Object.defineProperty(nav, "locks", {
    value: undefined,
    configurable: true,
  });
  try {
    return await fn();
  } finally {
    delete nav.locks;
  }
}

interface Setup {
  /** Carol, the receiver, on storage of her own. */
  carol: GroupView;
  /** Alice's two views, from two `MLS` instances over `shared`. */
  a1: GroupView;
  a2: GroupView;
  shared: Storage;
  slotOf: (m: Uint8Array) => Promise<Slot>;
}

async function setup(): Promise<Setup> {
  const carolMls = new MLS();
  const carolId = await carolMls.generateIdentity();
  const carol = await carolMls.groupCreate(
    carolId,
    await carolMls.generateCredential("carol"),
  );
  const shared = new MemoryStorage();
  const mls1 = new MLS({ storage: shared });
  const alice = await mls1.generateIdentity();
  const add = await carol.add(
    await mls1.generateKeyPackage(alice, await mls1.generateCredential("a")),
  );
  await carol.receive(add);
  const a1 = await mls1.groupJoin(alice, add);
  const a2 = (await new MLS({ storage: shared }).groupGet(
    a1.groupId,
    alice.clientId,
  ))!;
  const slotOf = await slotReader(
    carolMls.storage,
    carol.groupId,
    carolId.clientId,
  );
  return { carol, a1, a2, shared, slotOf };
}

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof MlsError, `not an MlsError: ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/**
 * Both views send `n` messages at once; Carol decrypts every one exactly
 * once, and no generation was used twice.
 */
async function concurrentSends(n: number): Promise<void> {
  const { carol, a1, a2, shared, slotOf } = await setup();
  const texts: string[] = [];
  const sends: Promise<Uint8Array>[] = [];
  for (let i = 0; i < n; i++) {
    for (const [name, v] of [["a1", a1], ["a2", a2]] as const) {
      texts.push(`${name} ${i}`);
      sends.push(v.send(`${name} ${i}`));
    }
  }
  const sent = await Promise.all(sends);
  const slots = await Promise.all(sent.map(slotOf));
  const used = new Map<string, number>();
  for (const s of slots) used.set(slotKey(s), (used.get(slotKey(s)) ?? 0) + 1);
  const twice = [...used].filter(([, count]) => count > 1);
  assert.deepEqual(twice, [], "generations used twice");
  // Carol decrypts each exactly once (in generation order).
  const order = sent.map((_, i) => i).sort((x, y) =>
    slots[x].generation - slots[y].generation
  );
  for (const i of order) {
    const r = await carol.receive(sent[i]);
    assert.equal(r.type === "application" && r.text(), texts[i]);
    await rejectsCode(carol.receive(sent[i]), "generation_too_old");
  }
  // Nothing was lost: a view loaded afterwards, and both live views, carry
  // on with fresh generations.
  const a3 = (await new MLS({ storage: shared }).groupGet(
    a1.groupId,
    a1.clientId,
  ))!;
  const top = Math.max(...slots.map((s) => s.generation));
  for (const [i, v] of [a3, a1, a2, a3].entries()) {
    const m = await v.send(`after ${i}`);
    assert.equal((await slotOf(m)).generation, top + 1 + i);
    const r = await carol.receive(m);
    assert.equal(r.type === "application" && r.text(), `after ${i}`);
  }
}

Deno.test("multi-view: two MLS over one storage send concurrently (Web Locks)", async () => {
  await concurrentSends(30);
});

Deno.test("multi-view: two MLS over one storage send concurrently (conditional batches only)", async () => {
  await withoutWebLocks(() => concurrentSends(30));
});

/** Both views receive one message: only one of them decrypts it. */
async function onceEach(): Promise<void> {
  const { carol, a1, a2 } = await setup();
  for (let i = 0; i < 5; i++) {
    const m = await carol.send(`hi ${i}`);
    const [r1, r2] = await Promise.allSettled([a1.receive(m), a2.receive(m)]);
    const ok = [r1, r2].filter((r) => r.status === "fulfilled");
    assert.equal(ok.length, 1, `message ${i} decrypted by ${ok.length} views`);
    const failed = [r1, r2].find((r) => r.status === "rejected");
    assert.ok(failed?.status === "rejected");
    assert.ok(failed.reason instanceof MlsError);
    assert.equal(failed.reason.code, "generation_too_old");
  }
}

Deno.test("multi-view: a message is decrypted by one view only (Web Locks)", async () => {
  await onceEach();
});

Deno.test("multi-view: a message is decrypted by one view only (conditional batches only)", async () => {
  await withoutWebLocks(onceEach);
});

/** Both views commit at once: one commit is pending, the other refused. */
async function oneCommit(): Promise<void> {
  const { carol, a1, a2 } = await setup();
  const [r1, r2] = await Promise.allSettled([a1.update(), a2.update()]);
  const won = [r1, r2].filter((r) => r.status === "fulfilled");
  assert.equal(won.length, 1, "two pending commits for one member");
  const lost = [r1, r2].find((r) => r.status === "rejected");
  assert.ok(lost?.status === "rejected");
  assert.equal((lost.reason as MlsError).code, "commit_pending");
  const commit = won[0].status === "fulfilled" ? won[0].value.commit : null;
  // Either view applies it when it comes back; Carol follows.
  assert.ok(a2.hasPendingCommit || a1.hasPendingCommit);
  const r = await a2.receive(commit!);
  assert.equal(r.type, "commit");
  await carol.receive(commit!);
  assert.equal(a2.epoch, carol.epoch);
  // a1 reloads before its next call: same epoch, no pending commit.
  const m = await a1.send("after the commit");
  assert.equal(a1.epoch, carol.epoch);
  assert.ok(!a1.hasPendingCommit);
  const got = await carol.receive(m);
  assert.equal(got.type === "application" && got.text(), "after the commit");
}

Deno.test("multi-view: concurrent commits leave one pending commit (Web Locks)", async () => {
  await oneCommit();
});

Deno.test("multi-view: concurrent commits leave one pending commit (conditional batches only)", async () => {
  await withoutWebLocks(oneCommit);
});

/**
 * A memory storage whose first batch that stores a group state waits for a
 * second one: two joins race to store the same group.
 */
class JoinRace extends MemoryStorage {
  #held: Array<() => void> = [];
  override async batch(
    writes: readonly StorageWrite[],
    options?: BatchOptions,
  ): Promise<void> {
    if (
      this.#held.length < 2 && writes.some((w) => w.key.startsWith("group/"))
    ) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#held.push(resolve);
      if (this.#held.length === 2) { for (const r of this.#held) r(); }
      await promise;
    }
    return super.batch(writes, options);
  }
}

Deno.test("multi-view: one Welcome joined from two MLS at once: one joins, the other is group_exists", async () => {
  const carolMls = new MLS();
  const carolId = await carolMls.generateIdentity();
  const carol = await carolMls.groupCreate(
    carolId,
    await carolMls.generateCredential("carol"),
  );
  const shared = new JoinRace();
  const [m1, m2] = [new MLS({ storage: shared }), new MLS({ storage: shared })];
  const alice = await m1.generateIdentity();
  const add = await carol.add(
    await m1.generateKeyPackage(alice, await m1.generateCredential("a")),
  );
  await carol.receive(add);
  const joins = await Promise.allSettled([
    m1.groupJoin(alice, add),
    m2.groupJoin(alice, add),
  ]);
  const joined = joins.filter((r) => r.status === "fulfilled");
  assert.equal(joined.length, 1, "two joins from one key package");
  const refused = joins.find((r) => r.status === "rejected");
  assert.ok(refused?.status === "rejected");
  assert.equal((refused.reason as MlsError).code, "group_exists");
  // The key package's private keys are gone; the joined view works.
  assert.deepEqual(await shared.list(`keypackage/${alice.clientId}/`), []);
  const view = joined[0].status === "fulfilled" ? joined[0].value : null;
  const got = await carol.receive(await view!.send("joined once"));
  assert.equal(got.type === "application" && got.text(), "joined once");
});
