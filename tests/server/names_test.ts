// Display names of the directory: who can set and read them, uniqueness
// after normalization, what a valid name is, renames and held names, and
// the same rules on both stores (memory, Deno KV) including a race.
import assert from "node:assert/strict";
import { DeliveryError, DeliveryHttp } from "../../delivery.ts";
import { checkName } from "../../server/shared/names.ts";
import { KvNameStore } from "../../server/store/kv_names.ts";
import { MemoryNameStore } from "../../server/store/memory_names.ts";
import type { NameStore } from "../../server/store/names.ts";
import { client, spawnServer, startServer } from "./helpers.ts";

async function refused(
  p: Promise<unknown>,
  status: number,
  code: string,
): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof DeliveryError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    return true;
  });
}

Deno.test("names: unique after normalization, looked up both ways", async () => {
  const srv = await startServer();
  try {
    const alice = (await client(srv.url, "alice")).client;
    const bob = (await client(srv.url, "bob")).client;
    assert.deepEqual(await alice.http.setName("  Alice "), {
      clientId: alice.clientId,
      name: "Alice",
    });
    for (const same of ["alice", "ALICE", "Ａｌｉｃｅ"]) {
      await refused(bob.http.setName(same), 409, "name_taken");
      assert.deepEqual(await bob.http.clientByName(same), {
        clientId: alice.clientId,
        name: "Alice",
      });
    }
    assert.deepEqual(await bob.http.nameOf(alice.clientId), {
      clientId: alice.clientId,
      name: "Alice",
    });
    assert.equal(await alice.http.nameOf(bob.clientId), null);
    assert.equal(await alice.http.clientByName("nobody"), null);
    // The same client may change how its own name is written.
    assert.equal((await alice.http.setName("ALICE")).name, "ALICE");
    assert.equal((await bob.http.clientByName("alice"))?.name, "ALICE");
  } finally {
    await srv.close();
  }
});

Deno.test("names: only a token's own client sets its name; reads need a token", async () => {
  const srv = await startServer();
  try {
    const alice = (await client(srv.url, "alice")).client;
    const anonymous = new DeliveryHttp(srv.url);
    await refused(anonymous.setName("mallory"), 401, "unauthorized");
    await refused(anonymous.clientByName("alice"), 401, "unauthorized");
    await refused(anonymous.nameOf(alice.clientId), 401, "unauthorized");
    const forged = new DeliveryHttp(srv.url, "not-a-token");
    await refused(forged.setName("mallory"), 401, "unauthorized");
    // There is no route that names another client.
    const res = await fetch(`${srv.url}/v1/names/${alice.clientId}`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${alice.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ name: "alice" }),
    });
    assert.equal(res.status, 404);
    await res.body?.cancel();
    assert.equal(await alice.http.nameOf(alice.clientId), null);
    // No listing: the collection itself is no route.
    const list = await fetch(`${srv.url}/v1/names`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    assert.equal(list.status, 404);
    await list.body?.cancel();
  } finally {
    await srv.close();
  }
});

Deno.test("names: invalid names are refused with a reason", async () => {
  const srv = await startServer();
  try {
    const alice = (await client(srv.url, "alice")).client;
    const bad = [
      "a", // too short
      "x".repeat(33), // too long
      "al\u200bice", // zero-width space
      "\u202eecila", // bidi override
      "ali\tce", // control
      "\u0430lice", // Cyrillic "а" among Latin letters
      "alice!", // symbol
      "al  ice", // doubled separator
      "-alice", // leading separator
      "alice 🙂", // emoji
      "ﬀ-", // NFKC "ff-": a trailing separator
    ];
    for (const name of bad) {
      await refused(alice.http.setName(name), 400, "invalid_name");
    }
    await refused(alice.http.clientByName("a"), 400, "invalid_name");
    const res = await fetch(`${srv.url}/v1/names/me`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${alice.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ name: 42 }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "invalid_name");
    for (const good of ["Zoë", "Jean-Luc", "李小龍", "やまだ 太郎", "Ωμέγα"]) {
      assert.equal((await alice.http.setName(good)).name, good.normalize());
    }
  } finally {
    await srv.close();
  }
});

Deno.test("checkName: forms, key and reasons", () => {
  const r = checkName("Zoe\u0308"); // decomposed ë
  assert.ok(r.ok);
  assert.equal(r.display, "Zoë");
  assert.equal(r.key, "zoë");
  const fw = checkName("ＢＯＢ");
  assert.ok(fw.ok);
  assert.equal(fw.key, "bob");
  const mixed = checkName("p\u0430ypal");
  assert.ok(!mixed.ok);
  assert.match(mixed.reason, /Latin and Cyrillic/);
  assert.ok(!checkName(undefined).ok);
});

Deno.test("names: a renamed client's old name is held for it, then freed", async () => {
  let now = Date.now();
  const srv = await startServer(undefined, {
    now: () => new Date(now),
    nameHoldMs: 1000,
  });
  try {
    const alice = (await client(srv.url, "alice")).client;
    const bob = (await client(srv.url, "bob")).client;
    await alice.http.setName("alice");
    await alice.http.setName("alicia");
    // Not shown as alice's any more, and not anyone else's either.
    assert.equal(await bob.http.clientByName("alice"), null);
    await refused(bob.http.setName("alice"), 409, "name_taken");
    assert.equal((await bob.http.nameOf(alice.clientId))?.name, "alicia");
    // Its owner can take it back.
    await alice.http.setName("alice");
    await refused(bob.http.setName("alicia"), 409, "name_taken");
    await alice.http.setName("alicia");
    // Only the latest previous name is held: renaming again frees the one
    // held before, so renames cannot reserve names.
    await alice.http.setName("ally");
    await refused(bob.http.setName("alicia"), 409, "name_taken");
    assert.equal((await bob.http.setName("alice")).name, "alice");
    // Past the hold, anyone may take it.
    now += 1001;
    assert.equal((await bob.http.setName("alicia")).name, "alicia");
    assert.equal(
      (await alice.http.clientByName("alicia"))?.clientId,
      bob.clientId,
    );
    assert.equal(await bob.http.clientByName("alice"), null);
  } finally {
    await srv.close();
  }
});

async function storeRules(names: NameStore): Promise<void> {
  const limits = { holdMs: 10 };
  assert.equal(await names.claim("a1", "x", "X", 0, limits), "ok");
  assert.equal(await names.claim("b2", "x", "x", 0, limits), "taken");
  assert.equal(await names.claim("a1", "y", "Y", 0, limits), "ok");
  assert.equal(await names.byKey("x"), null);
  assert.equal(await names.claim("b2", "x", "x", 5, limits), "taken");
  assert.deepEqual(await names.nameOf("a1"), { clientId: "a1", display: "Y" });
  assert.equal(await names.claim("b2", "x", "x", 11, limits), "ok");
  assert.deepEqual(await names.byKey("x"), { clientId: "b2", display: "x" });
  // a1's held "x" was taken over: renaming a1 again must not free it.
  assert.equal(await names.claim("a1", "z", "Z", 12, limits), "ok");
  assert.deepEqual(await names.byKey("x"), { clientId: "b2", display: "x" });
  assert.equal(await names.claim("c3", "y", "y", 13, limits), "taken");
}

Deno.test("MemoryNameStore: claim rules", async () => {
  await storeRules(new MemoryNameStore());
});

Deno.test("KvNameStore: claim rules, and one winner of a race", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const names = new KvNameStore(kv);
    await storeRules(names);
    const ids = Array.from({ length: 8 }, (_, i) => `r${i}`);
    const got = await Promise.all(
      ids.map((id) => names.claim(id, "race", "race", 0, { holdMs: 10 })),
    );
    assert.equal(got.filter((r) => r === "ok").length, 1);
    const winner = ids[got.indexOf("ok")];
    assert.deepEqual(await names.byKey("race"), {
      clientId: winner,
      display: "race",
    });
  } finally {
    kv.close();
  }
});

Deno.test("names: deno task start keeps them in its Deno KV file across a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-names-" });
  const args = ["--kv", `${dir}/names.kv`, "--no-rate-limit"];
  try {
    let srv = await spawnServer(args);
    const alice = (await client(srv.url, "alice")).client;
    await alice.http.setName("Alice");
    await srv.stop();
    srv = await spawnServer(args);
    try {
      const http = new DeliveryHttp(srv.url, alice.token);
      assert.deepEqual(await http.nameOf(alice.clientId), {
        clientId: alice.clientId,
        name: "Alice",
      });
      assert.equal(
        (await http.clientByName("alice"))?.clientId,
        alice.clientId,
      );
    } finally {
      await srv.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
