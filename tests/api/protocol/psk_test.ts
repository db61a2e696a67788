// External PSKs (RFC 9420 §8.4) stored by id on MLS, injected by commit,
// needed by receivers and joiners, deleted on request.
import assert from "node:assert/strict";
import {
  EncryptedStorage,
  MemoryStorage,
  MLS,
  MlsError,
} from "../../../mod.ts";
import { main } from "../../../examples/psk.ts";

const code = (c: string) => (e: unknown) =>
  e instanceof MlsError && e.code === c;

Deno.test("psk: injected by commit, a Welcome that names it needs it (example)", async () => {
  const r = await main(() => {});
  assert.equal(r.firstTry, "missing_psk");
  assert.deepEqual(r.secrets[0], r.secrets[1]);
  assert.deepEqual(r.secrets[0], r.secrets[2]);
  assert.deepEqual(r.epochs, [3n, 3n]);
});

Deno.test("psk: a receiver without it refuses and keeps its state; stored, deleted, kept from deleteIdentity", async () => {
  const storage = new MemoryStorage();
  const aliceMls = new MLS({ storage });
  const bobMls = new MLS();
  const alice = await aliceMls.generateIdentity();
  const bob = await bobMls.generateIdentity();
  const group = await aliceMls.groupCreate(
    alice,
    await aliceMls.generateCredential("alice"),
  );
  const added = await group.add(
    await bobMls.generateKeyPackage(
      bob,
      await bobMls.generateCredential("bob"),
    ),
  );
  await group.receive(added);
  const bobGroup = await bobMls.groupJoin(bob, added);
  // Not stored: the commit cannot be made.
  await assert.rejects(group.addPsk("k"), code("missing_psk"));
  assert.equal(group.hasPendingCommit, false);
  const secret = new Uint8Array(32).fill(9);
  await aliceMls.storePsk(new TextEncoder().encode("k"), secret);
  secret.fill(0); // the stored copy is the library's own
  const commit = await group.addPsk("k");
  await group.receive(commit);
  // Bob lacks it: refused, nothing changed; then he stores it.
  await assert.rejects(bobGroup.receive(commit), code("missing_psk"));
  assert.equal(bobGroup.epoch, 1n);
  await bobMls.storePsk("k", new Uint8Array(32).fill(9));
  await bobGroup.receive(commit);
  assert.deepEqual(
    await bobGroup.exportSecret("x", "", 8),
    await group.exportSecret("x", "", 8),
  );
  // A wrong secret under the right id gives another key schedule.
  await bobMls.storePsk("k", new Uint8Array(32).fill(8));
  const again = await group.addPsk("k");
  await group.receive(again);
  await assert.rejects(bobGroup.receive(again), MlsError);
  assert.equal(bobGroup.epoch, 2n);
  // deleteIdentity leaves the storage's PSKs; deletePsk removes them.
  assert.deepEqual(
    (await storage.list("psk/")).length,
    1,
  );
  await aliceMls.deleteIdentity(alice);
  assert.equal((await storage.list("psk/")).length, 1);
  assert.equal(await aliceMls.deletePsk("k"), true);
  assert.equal(await aliceMls.deletePsk("k"), false);
  assert.deepEqual(await storage.list(""), []);
});

Deno.test("psk: arguments are checked", async () => {
  const mls = new MLS();
  const bad = (field: string) => (e: unknown) =>
    e instanceof MlsError && e.code === "invalid_argument" && e.field === field;
  await assert.rejects(mls.storePsk("", new Uint8Array(1)), bad("id"));
  // @ts-expect-error: not bytes
  await assert.rejects(mls.storePsk("a", "secret"), bad("secret"));
  await assert.rejects(mls.storePsk("a", new Uint8Array()), bad("secret"));
  // @ts-expect-error: not an id
  await assert.rejects(mls.deletePsk(7), bad("id"));
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  // @ts-expect-error: not an id
  await assert.rejects(group.proposePsk(null), bad("id"));
});

Deno.test("psk: persisted through the storage, encrypted at rest, usable by another MLS over it", async () => {
  const inner = new MemoryStorage();
  const storage = await EncryptedStorage.open(inner, {
    rawKey: crypto.getRandomValues(new Uint8Array(32)),
  });
  const mls = new MLS({ storage });
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const secret = crypto.getRandomValues(new Uint8Array(32));
  await mls.storePsk("kept", secret);
  const [key] = await inner.list("psk/");
  const stored = (await inner.get(key)) as Uint8Array;
  assert.equal(contains(stored, secret), false);
  // Another instance over the same storage finds it.
  const again = new MLS({ storage });
  const view = (await again.groupGet(group.groupId, alice))!;
  await view.receive(await view.addPsk("kept"));
  assert.equal(view.epoch, 1n);
  assert.equal(await again.deletePsk("kept"), true);
  assert.deepEqual(await inner.list("psk/"), []);
});

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}
