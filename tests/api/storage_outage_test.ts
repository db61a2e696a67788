// A storage outage at any storage call of an operation: the operation
// throws `MlsError("storage_failure")` with the backend's error as `cause`,
// and once the storage is back the same view runs the same operation (sends,
// decrypts the same message, applies the same commit) and the group keeps
// working. Also for a custom storage without conditional batches, and for
// the calls of `MLS` itself.
import assert from "node:assert/strict";
import {
  type BatchOptions,
  type GroupView,
  MemoryStorage,
  MLS,
  MlsError,
  type Storage,
  type StorageValue,
  type StorageWrite,
} from "../../mod.ts";

/** A storage that goes down on demand: every call fails until it is back. */
class Outage implements Storage {
  readonly canStoreCryptoKeys = true;
  readonly inner = new MemoryStorage();
  readonly conditionalBatches: boolean;
  /** Calls so far (get, list, batch). */
  calls = 0;
  /** Calls from this one on fail (undefined: up). */
  downFrom: number | undefined;
  /** The errors thrown. */
  errors: Error[] = [];

  constructor(conditional: boolean) {
    this.conditionalBatches = conditional;
  }

  #call<T>(f: () => Promise<T>): Promise<T> {
    const n = this.calls++;
    if (this.downFrom !== undefined && n >= this.downFrom) {
      const e = new Error(`storage down (call ${n})`);
      this.errors.push(e);
      return Promise.reject(e);
    }
    return f();
  }

  get(key: string): Promise<StorageValue | undefined> {
    return this.#call(() => this.inner.get(key));
  }

  batch(writes: readonly StorageWrite[], options?: BatchOptions) {
    return this.#call(() =>
      this.inner.batch(writes, this.conditionalBatches ? options : undefined)
    );
  }

  list(prefix: string): Promise<string[]> {
    return this.#call(() => this.inner.list(prefix));
  }
}

interface World {
  storage: Outage;
  mls: MLS;
  alice: GroupView;
  bob: GroupView;
  bobMls: MLS;
}

/** Alice on the failing storage, Bob on his own. */
async function world(conditional: boolean): Promise<World> {
  const storage = new Outage(conditional);
  const mls = new MLS({ storage });
  const bobMls = new MLS();
  const aliceId = await mls.generateIdentity();
  const alice = await mls.groupCreate(
    aliceId,
    await mls.generateCredential("alice"),
  );
  const bobId = await bobMls.generateIdentity();
  const add = await alice.add(
    await bobMls.generateKeyPackage(
      bobId,
      await bobMls.generateCredential("bob"),
    ),
  );
  await alice.receive(add);
  const bob = await bobMls.groupJoin(bobId, add);
  // Both have sent and received before, so that their ratchets are stored.
  await bob.receive(await alice.send("warm up"));
  await alice.receive(await bob.send("warm up"));
  return { storage, mls, alice, bob, bobMls };
}

async function text(to: GroupView, m: Uint8Array): Promise<string> {
  const r = await to.receive(m);
  assert.equal(r.type, "application");
  return r.type === "application" ? r.text() : "";
}

/** Alice and Bob agree and talk both ways. */
async function keepsWorking(w: World, label: string): Promise<void> {
  assert.equal(w.alice.epoch, w.bob.epoch);
  assert.equal(
    (await w.alice.exportSecret("x", label, 16)).join(),
    (await w.bob.exportSecret("x", label, 16)).join(),
  );
  assert.equal(
    await text(w.bob, await w.alice.send(`${label} a`)),
    `${label} a`,
  );
  assert.equal(
    await text(w.alice, await w.bob.send(`${label} b`)),
    `${label} b`,
  );
  // And a view loaded from storage carries on too.
  const again = (await new MLS({ storage: w.storage }).groupGet(
    w.alice.groupId,
    w.alice.clientId,
  ))!;
  assert.equal(again.epoch, w.alice.epoch);
  assert.equal(await text(again, await w.bob.send(`${label} c`)), `${label} c`);
}

function isStorageFailure(w: World, e: unknown): void {
  assert.ok(e instanceof MlsError, `not an MlsError: ${e}`);
  assert.equal(e.code, "storage_failure", e.message);
  assert.ok(w.storage.errors.includes(e.cause as Error), "cause");
}

interface Case<P, R> {
  name: string;
  /** Prepares the operation (storage up). */
  prepare(w: World): Promise<P>;
  /** The operation on Alice's view. */
  run(w: World, p: P): Promise<R>;
  /** Checks its result and finishes what it started (storage up). */
  finish(w: World, p: P, r: R): Promise<void>;
}

/**
 * For each k: the storage goes down at the k-th storage call of the
 * operation (and stays down); then it is back and the same view runs the
 * same operation again. Until an operation completes without reaching
 * the outage.
 */
async function atEveryCall<P, R>(
  c: Case<P, R>,
  conditional = true,
): Promise<void> {
  for (let k = 0;; k++) {
    assert.ok(k < 50, "too many storage calls");
    const w = await world(conditional);
    const p = await c.prepare(w);
    w.storage.downFrom = w.storage.calls + k;
    let result: R;
    let failed = false;
    try {
      result = await c.run(w, p);
    } catch (e) {
      failed = true;
      isStorageFailure(w, e);
      // Still down: the same call fails the same way (reloading fails).
      await assert.rejects(c.run(w, p), (e) => {
        isStorageFailure(w, e);
        return true;
      });
      w.storage.downFrom = undefined;
      result = await c.run(w, p);
    }
    w.storage.downFrom = undefined;
    await c.finish(w, p, result);
    await keepsWorking(w, `${c.name} ${k}`);
    if (!failed) break;
  }
}

const send: Case<null, Uint8Array> = {
  name: "send",
  prepare: () => Promise.resolve(null),
  run: (w) => w.alice.send("hello"),
  finish: async (w, _, m) => assert.equal(await text(w.bob, m), "hello"),
};

const receive: Case<Uint8Array, unknown> = {
  name: "receive",
  prepare: (w) => w.bob.send("from bob"),
  run: async (w, m) => await text(w.alice, m),
  finish: (_w, _m, got) => Promise.resolve(assert.equal(got, "from bob")),
};

const receiveFirst: Case<Uint8Array, unknown> = {
  name: "receive from a new sender",
  async prepare(w) {
    // Carol joins and sends: Alice expands a new path of the secret tree.
    const carolId = await w.bobMls.generateIdentity();
    const add = await w.bob.add(
      await w.bobMls.generateKeyPackage(
        carolId,
        await w.bobMls.generateCredential("carol"),
      ),
    );
    await w.bob.receive(add);
    await w.alice.receive(add);
    const carol = await w.bobMls.groupJoin(carolId, add);
    return carol.send("from carol");
  },
  run: async (w, m) => await text(w.alice, m),
  finish: (_w, _m, got) => Promise.resolve(assert.equal(got, "from carol")),
};

const receiveCommit: Case<Uint8Array, unknown> = {
  name: "receive a commit",
  async prepare(w) {
    const c = await w.bob.update();
    await w.bob.receive(c);
    return c.commit;
  },
  run: (w, c) => w.alice.receive(c),
  finish: (w, _c, r) => {
    assert.equal((r as { type: string }).type, "commit");
    assert.equal(w.alice.epoch, w.bob.epoch);
    return Promise.resolve();
  },
};

const receiveProposal: Case<Uint8Array, unknown> = {
  name: "receive a proposal (auto-commit)",
  async prepare(w) {
    return (await w.bob.proposeUpdate()).proposal;
  },
  run: (w, p) => w.alice.receive(p),
  async finish(w, _p, r) {
    const got = r as { type: string; commitOutput?: { commit: Uint8Array } };
    assert.equal(got.type, "proposal");
    const commit = got.commitOutput!.commit;
    await w.alice.receive(commit);
    await w.bob.receive(commit);
  },
};

const commit: Case<null, { commit: Uint8Array }> = {
  name: "commit",
  prepare: () => Promise.resolve(null),
  run: (w) => w.alice.update(),
  async finish(w, _, out) {
    assert.ok(w.alice.hasPendingCommit);
    await w.alice.receive(out.commit);
    await w.bob.receive(out.commit);
  },
};

for (const c of [send, receive, receiveFirst, receiveCommit, receiveProposal]) {
  Deno.test(`storage outage: ${c.name}`, async () => {
    await atEveryCall(c as Case<unknown, unknown>);
  });
}

Deno.test("storage outage: commit", async () => {
  await atEveryCall(commit);
});

Deno.test("storage outage: a storage without conditional batches", async () => {
  await atEveryCall(send, false);
  await atEveryCall(receive as Case<unknown, unknown>, false);
  await atEveryCall(commit, false);
});

Deno.test("storage outage: every call of MLS and GroupView is storage_failure", async () => {
  const w = await world(true);
  const kp = await w.bobMls.generateKeyPackage(
    await w.bobMls.generateIdentity(),
    await w.bobMls.generateCredential("dave"),
  );
  const aliceId = w.alice.clientId;
  const fresh = await w.mls.generateIdentity();
  const freshKp = await w.mls.generateKeyPackage(
    fresh,
    await w.mls.generateCredential("fresh"),
  );
  const welcome = await w.bob.add(freshKp);
  const cred = await w.mls.generateCredential("x");
  w.storage.downFrom = w.storage.calls;
  const calls: Array<[string, () => Promise<unknown>]> = [
    ["generateIdentity", () => w.mls.generateIdentity()],
    ["generateKeyPackage", () => w.mls.generateKeyPackage(aliceId, cred)],
    ["groupCreate", () => w.mls.groupCreate(aliceId, cred)],
    [
      "groupGet",
      () => new MLS({ storage: w.storage }).groupGet(w.alice.groupId, aliceId),
    ],
    ["groupJoin", () => w.mls.groupJoin(fresh, welcome)],
    [
      "signWithIdentity",
      () => w.mls.signWithIdentity(aliceId, "x", new Uint8Array(1)),
    ],
    ["deleteState", () => w.mls.deleteState()],
    ["send", () => w.alice.send("x")],
    ["add", () => w.alice.add(kp)],
    ["exportSecret", () => w.alice.exportSecret("x", "y", 16)],
    ["groupInfo", () => w.alice.groupInfo()],
    ["group.deleteState", () => w.alice.deleteState()],
  ];
  for (const [name, call] of calls) {
    await assert.rejects(call(), (e) => {
      assert.ok(e instanceof MlsError, `${name}: not an MlsError: ${e}`);
      assert.equal(e.code, "storage_failure", `${name}: ${e.message}`);
      assert.ok(w.storage.errors.includes(e.cause as Error), `${name}: cause`);
      return true;
    });
  }
  w.storage.downFrom = undefined;
  await w.bob.clearPendingCommit();
  await keepsWorking(w, "after the outage");
});
