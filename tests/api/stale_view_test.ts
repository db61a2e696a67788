// A receive whose write fails while reloading the stored state fails too
// leaves the view stale, not ahead of storage: the next call reloads first,
// so the same message can be received once storage works again (its key
// was not lost in memory). Issue 14, item 2, at the API level.
import assert from "node:assert/strict";
import { MemoryStorage, MLS, MlsError } from "../../mod.ts";
import { FaultyStorage } from "./storage/faulty_storage.ts";

Deno.test("a view whose write and reload failed reloads before its next call", async () => {
  const storage = new FaultyStorage(new MemoryStorage());
  const mls = new MLS({ storage });
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const g = await mls.groupCreate(alice, await mls.generateCredential("a"));
  const added = await g.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("b")),
  );
  await g.receive(added);
  const b = await mls.groupJoin(bob, added);
  const message = await g.send("once storage works");

  storage.fail({
    op: "batch",
    match: (k) =>
      k.some((k) => k.startsWith(`ratchets/${b.groupId}/${bob.clientId}`)),
  });
  storage.fail({
    op: "get",
    match: (k) => k.some((k) => k.startsWith("group/")),
  });
  await assert.rejects(
    () => b.receive(message),
    (e) => e instanceof MlsError && e.code === "storage_failure",
  );
  // Still failing: the reload before the call fails, the call does not run.
  await assert.rejects(
    () => b.receive(message),
    (e) => e instanceof MlsError && e.code === "storage_failure",
  );
  storage.clear();
  const r = await b.receive(message);
  assert.equal(r.type === "application" && r.text(), "once storage works");
  // And the key is now used up, in memory and in storage.
  await assert.rejects(
    () => b.receive(message),
    (e) => e instanceof MlsError && e.code === "generation_too_old",
  );
  const again = await new MLS({ storage }).groupGet(b.groupId, bob);
  await assert.rejects(
    () => again!.receive(message),
    (e) => e instanceof MlsError && e.code === "generation_too_old",
  );
});
