// EncryptedStorage (issue 14, finding 4): every value of the backing store
// is AES-GCM ciphertext bound to its storage key, under a key given as a
// CryptoKey, raw bytes, or a passphrase (PBKDF2, salt and iterations kept
// in the store); a wrong key is refused on open; CryptoKeys pass through
// only to a store that keeps them natively. And MLS.deleteIdentity.
import assert from "node:assert/strict";
import {
  DenoKvStorage,
  EncryptedStorage,
  MemoryStorage,
  MLS,
  MlsError,
  type Storage,
  type StorageValue,
  type StorageWrite,
} from "../../mod.ts";

const code = (c: string) => (e: unknown) =>
  e instanceof MlsError && e.code === c;

/** Memory that, like Deno KV, keeps bytes only. */
class BytesOnly implements Storage {
  readonly canStoreCryptoKeys = false;
  readonly inner = new MemoryStorage();
  get(key: string): Promise<StorageValue | undefined> {
    return this.inner.get(key);
  }
  batch(writes: readonly StorageWrite[]): Promise<void> {
    if (writes.some((w) => w.value && !(w.value instanceof Uint8Array))) {
      return Promise.reject(new MlsError("invalid_argument", "bytes only"));
    }
    return this.inner.batch(writes);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

const rawKey = () => crypto.getRandomValues(new Uint8Array(32));
/** Few iterations (the floor): tests need not pay for 600,000. */
const FAST = 100_000;

Deno.test("encrypted storage: values are versioned AES-GCM with a fresh nonce each write", async () => {
  const inner = new MemoryStorage();
  const s = await EncryptedStorage.open(inner, { rawKey: rawKey() });
  const secret = crypto.getRandomValues(new Uint8Array(40));
  await s.batch([{ key: "a/b", value: secret }]);
  const first = (await inner.get("a/b")) as Uint8Array;
  await s.batch([{ key: "a/b", value: secret }]);
  const second = (await inner.get("a/b")) as Uint8Array;
  for (const stored of [first, second]) {
    assert.equal(stored[0], 1, "format version");
    assert.equal(stored.length, 1 + 12 + secret.length + 16);
    assert.ok(!contains(stored, secret.subarray(0, 16)), "no plaintext");
  }
  assert.notDeepEqual(first.subarray(1, 13), second.subarray(1, 13), "nonce");
  assert.deepEqual(await s.get("a/b"), secret);
  assert.equal(await s.get("missing"), undefined);
  // The key record is the wrapper's: hidden and refused.
  assert.deepEqual(await s.list(""), ["a/b"]);
  assert.deepEqual(await inner.list(""), ["a/b", "encrypted-storage/meta"]);
  await assert.rejects(
    () => s.get("encrypted-storage/meta"),
    code("invalid_argument"),
  );
  await assert.rejects(
    () => s.batch([{ key: "encrypted-storage/x", value: new Uint8Array(1) }]),
    code("invalid_argument"),
  );
});

Deno.test("encrypted storage: a value moved, altered or re-versioned fails with a clear MlsError", async () => {
  const inner = new MemoryStorage();
  const s = await EncryptedStorage.open(inner, { rawKey: rawKey() });
  await s.batch([
    { key: "signer/aa", value: new Uint8Array(32).fill(1) },
    { key: "signer/bb", value: new Uint8Array(32).fill(2) },
  ]);
  const a = (await inner.get("signer/aa")) as Uint8Array;
  const b = (await inner.get("signer/bb")) as Uint8Array;
  // Swapped between keys.
  await inner.batch([{ key: "signer/aa", value: b }, {
    key: "signer/bb",
    value: a,
  }]);
  await assert.rejects(() => s.get("signer/aa"), code("storage_tampered"));
  await assert.rejects(() => s.get("signer/bb"), code("storage_tampered"));
  // Altered.
  const flipped = a.slice();
  flipped[20] ^= 1;
  await inner.batch([{ key: "signer/aa", value: flipped }]);
  await assert.rejects(() => s.get("signer/aa"), code("storage_tampered"));
  // Truncated, or of an unknown format version.
  await inner.batch([{ key: "signer/aa", value: a.subarray(0, 20) }]);
  await assert.rejects(() => s.get("signer/aa"), code("storage_tampered"));
  const v2 = a.slice();
  v2[0] = 2;
  await inner.batch([{ key: "signer/aa", value: v2 }]);
  await assert.rejects(
    () => s.get("signer/aa"),
    code("unsupported_state_version"),
  );
  // Put back where it belongs, it reads again.
  await inner.batch([{ key: "signer/aa", value: a }]);
  assert.deepEqual(await s.get("signer/aa"), new Uint8Array(32).fill(1));
});

Deno.test("encrypted storage: the key is checked on open (raw key, CryptoKey, passphrase)", async () => {
  // Raw key.
  const inner = new MemoryStorage();
  const key = rawKey();
  const s = await EncryptedStorage.open(inner, { rawKey: key });
  await s.batch([{ key: "x", value: new Uint8Array([7]) }]);
  await assert.rejects(
    () => EncryptedStorage.open(inner, { rawKey: rawKey() }),
    code("wrong_key"),
  );
  await assert.rejects(
    () => EncryptedStorage.open(inner, { passphrase: "pw", iterations: FAST }),
    code("wrong_key"),
  );
  const again = await EncryptedStorage.open(inner, { rawKey: key.slice() });
  assert.deepEqual(await again.get("x"), new Uint8Array([7]));

  // A non-extractable CryptoKey.
  const ck = await crypto.subtle.generateKey(
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  const inner2 = new MemoryStorage();
  await (await EncryptedStorage.open(inner2, { key: ck })).batch([
    { key: "y", value: new Uint8Array([8]) },
  ]);
  assert.deepEqual(
    await (await EncryptedStorage.open(inner2, { key: ck })).get("y"),
    new Uint8Array([8]),
  );

  // A passphrase: salt and iteration count in the store, NFC-normalized.
  const inner3 = new MemoryStorage();
  const p = await EncryptedStorage.open(inner3, {
    passphrase: "caf\u00e9 au lait",
    iterations: FAST,
  });
  await p.batch([{ key: "z", value: new Uint8Array([9]) }]);
  const meta = (await inner3.get("encrypted-storage/meta")) as Uint8Array;
  assert.equal(meta[1], 1, "PBKDF2");
  assert.equal(new DataView(meta.buffer).getUint32(2), FAST);
  const reopened = await EncryptedStorage.open(inner3, {
    passphrase: "cafe\u0301 au lait", // the same text, decomposed
  });
  assert.deepEqual(await reopened.get("z"), new Uint8Array([9]));
  await assert.rejects(
    () => EncryptedStorage.open(inner3, { passphrase: "cafe au lait" }),
    code("wrong_key"),
  );
  await assert.rejects(
    () => EncryptedStorage.open(inner3, { rawKey: rawKey() }),
    code("wrong_key"),
  );
});

Deno.test("encrypted storage: a new passphrase store uses 600,000 PBKDF2-SHA-256 iterations", async () => {
  const inner = new MemoryStorage();
  await EncryptedStorage.open(inner, { passphrase: "correct horse" });
  const meta = (await inner.get("encrypted-storage/meta")) as Uint8Array;
  assert.equal(new DataView(meta.buffer).getUint32(2), 600_000);
  assert.equal(meta[6], 16, "a 16-byte salt");
});

Deno.test("encrypted storage: bad options and a store with plaintext data are refused", async () => {
  const bad = [
    {},
    { rawKey: new Uint8Array(31) },
    { passphrase: "" },
    { passphrase: "pw", iterations: 1000 },
    { rawKey: rawKey(), passphrase: "pw" },
    { rawKey: rawKey(), iterations: 200_000 },
    {
      key: await crypto.subtle.generateKey(
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      ),
    },
  ];
  for (const o of bad) {
    await assert.rejects(
      () => EncryptedStorage.open(new MemoryStorage(), o as never),
      code("invalid_argument"),
      JSON.stringify(Object.keys(o)),
    );
  }
  const plain = new MemoryStorage();
  await plain.batch([{ key: "identity/aa", value: new Uint8Array([1]) }]);
  await assert.rejects(
    () => EncryptedStorage.open(plain, { rawKey: rawKey() }),
    code("invalid_argument"),
  );
});

Deno.test("encrypted storage: CryptoKeys pass through only to a store that keeps them", async () => {
  const sig = await crypto.subtle.generateKey("Ed25519", false, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const native = await EncryptedStorage.open(new MemoryStorage(), {
    rawKey: rawKey(),
  });
  assert.equal(native.canStoreCryptoKeys, true);
  await native.batch([{ key: "signer/aa", value: sig.privateKey }]);
  assert.equal(await native.get("signer/aa"), sig.privateKey);

  const bytesOnly = await EncryptedStorage.open(new BytesOnly(), {
    rawKey: rawKey(),
  });
  assert.equal(bytesOnly.canStoreCryptoKeys, false);
  await assert.rejects(
    () =>
      bytesOnly.batch([
        { key: "a", value: new Uint8Array([1]) },
        { key: "signer/aa", value: sig.privateKey },
      ]),
    code("invalid_argument"),
  );
  assert.deepEqual(await bytesOnly.list(""), [], "nothing written");
  // MLS then keeps signature keys as bytes, encrypted like any value.
  const mls = new MLS({ storage: bytesOnly });
  const id = await mls.generateIdentity();
  const stored = await bytesOnly.get(`signer/${id.clientId}`);
  assert.ok(stored instanceof Uint8Array);
});

Deno.test("encrypted storage: MLS over Deno KV carries on after a restart with the passphrase", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-enc-" });
  try {
    const open = async () =>
      new MLS({
        storage: await EncryptedStorage.open(
          new DenoKvStorage(`${dir}/mls.kv`),
          { passphrase: "hunter2 hunter2", iterations: FAST },
        ),
      });
    let mls = await open();
    const alice = await mls.generateIdentity();
    const bob = await mls.generateIdentity();
    const g = await mls.groupCreate(alice, await mls.generateCredential("a"));
    const added = await g.add(
      await mls.generateKeyPackage(bob, await mls.generateCredential("b")),
    );
    await g.receive(added);
    const bobGroup = await mls.groupJoin(bob, added);
    const hello = await g.send("hello");
    await (mls.storage as EncryptedStorage).close();

    mls = await open();
    const bobAgain = await mls.groupGet(bobGroup.groupId, bob.clientId);
    assert.ok(bobAgain);
    const r = await bobAgain.receive(hello);
    assert.equal(r.type === "application" && r.text(), "hello");
    await (mls.storage as EncryptedStorage).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MLS.deleteIdentity deletes every record of the client and nothing of another", async () => {
  const storage = new MemoryStorage();
  const mls = new MLS({ storage });
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const g = await mls.groupCreate(alice, await mls.generateCredential("a"));
  const added = await g.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("b")),
  );
  await g.receive(added);
  const bobGroup = await mls.groupJoin(bob, added);
  await mls.generateKeyPackage(bob, await mls.generateCredential("b"));
  await bobGroup.receive(await g.send("to fill the ratchets"));
  await bobGroup.update(); // a pending commit
  // What another module keeps for bob (the delivery client's cursor).
  await storage.batch([{
    key: `delivery/cursor/${bob.clientId}`,
    value: new Uint8Array([1]),
  }]);
  const before = await storage.list("");
  const bobs = before.filter((k) => k.includes(bob.clientId));
  assert.ok(bobs.some((k) => k.startsWith("pending/")));
  assert.ok(bobs.some((k) => k.startsWith("keypackage/")));
  assert.ok(bobs.some((k) => k.startsWith("ratchets/")));

  // From storage alone (another instance, no views in memory)...
  await new MLS({ storage }).deleteIdentity(bob);
  const after = await storage.list("");
  assert.deepEqual(after.filter((k) => k.includes(bob.clientId)), []);
  assert.deepEqual(after, before.filter((k) => !bobs.includes(k)));
  // ...and in the instance that has his views: a view checks the stored
  // state before each call (one writer per member), so it is dead already;
  // deleting there too wipes what it held.
  await assert.rejects(
    () => bobGroup.send("stored state gone"),
    code("group_deleted"),
  );
  await mls.deleteIdentity(bob);
  await assert.rejects(() => bobGroup.send("x"), code("group_deleted"));
  assert.deepEqual(
    (await storage.list("")).filter((k) => k.includes(bob.clientId)),
    [],
  );
  assert.equal(await mls.groupGet(g.groupId, bob), null);
  await assert.rejects(
    () => mls.generateKeyPackage(bob, { type: "credential" } as never),
    code("unknown_identity"),
  );
  // Alice carries on; deleting again, or an unknown client, is no error.
  assert.ok(await mls.groupGet(g.groupId, alice));
  await mls.deleteIdentity(bob.clientId);
  await assert.rejects(
    () => mls.deleteIdentity("not hex/.."),
    code("invalid_argument"),
  );
});
