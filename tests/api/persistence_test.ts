// Persistence over Deno KV: close an MLS, open a new one on the same file,
// and carry on the conversation. Key-package private keys are deleted once
// used (last-resort packages stay).
import assert from "node:assert/strict";
import { DenoKvStorage, MLS } from "../../mod.ts";

Deno.test("api: an MLS over Deno KV survives a restart", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/webmls.kv`;
  try {
    let storage = new DenoKvStorage(path);
    let mls = new MLS({ storage });
    const alice = await mls.generateIdentity();
    const bob = await mls.generateIdentity();
    const bobCred = await mls.generateCredential("bob");
    const kp = await mls.generateKeyPackage(bob, bobCred);
    const spare = await mls.generateKeyPackage(bob, bobCred, {
      lastResort: true,
    });
    const a = await mls.groupCreate(
      alice,
      await mls.generateCredential("alice"),
    );
    const added = await a.add(kp);
    await a.receive(added);
    await mls.groupJoin(bob, added);
    const keysBefore = await storage.list(`keypackage/${bob.clientId}/`);
    assert.deepEqual(keysBefore, [`keypackage/${bob.clientId}/${spare.ref}`]);
    const late = await a.send("sent before the restart");
    const groupId = a.groupId;
    const secret = await a.exportSecret("x", "y", 32);
    // A commit still pending at the restart.
    const pending = await a.update();
    await storage.close();

    storage = new DenoKvStorage(path);
    mls = new MLS({ storage });
    const a2 = (await mls.groupGet(groupId, alice))!;
    const b2 = (await mls.groupGet(groupId, bob.clientId))!;
    assert.ok(a2 && b2);
    assert.equal(a2.epoch, 1n);
    assert.ok(a2.hasPendingCommit);
    assert.deepEqual(await b2.exportSecret("x", "y", 32), secret);
    const r1 = await b2.receive(late);
    assert.equal(
      r1.type === "application" && r1.text(),
      "sent before the restart",
    );
    // The pending commit comes back and applies after the restart.
    assert.equal((await a2.receive(pending)).type, "commit");
    assert.equal((await b2.receive(pending)).type, "commit");
    assert.equal(a2.epoch, 2n);
    const r2 = await a2.receive(await b2.send("and after it"));
    assert.equal(r2.type === "application" && r2.text(), "and after it");
    // Nonces are never reused across the restart: Alice's next message uses
    // a fresh generation, which Bob accepts.
    const r3 = await b2.receive(await a2.send("again"));
    assert.equal(r3.type, "application");
    assert.deepEqual(
      await a2.exportSecret("x", "y", 32),
      await b2.exportSecret("x", "y", 32),
    );
    // Deleting a group view removes its records.
    await b2.deleteState();
    assert.equal(await mls.groupGet(groupId, bob), null);
    await storage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
