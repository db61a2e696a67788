// Runs in headless Chromium (tests/browser_test.ts): EncryptedStorage over
// IndexedDbStorage with the application key from openAppKey(), a
// non-extractable CryptoKey kept in its own IndexedDB database, across a
// page reload. Phase 1 creates the key, two clients and a group, and
// leaves a message for bob; it asks the driver for a reload
// (`__result.reload`). Phase 2 reopens everything with the persisted key:
// bob reads the message, they carry on, and then everything is deleted.
const served = (path) => new URL(path, location.href).href;
const mod = await import(served("/webmls.mjs"));

const KEY_DB = "webmls-test-app-key";
const DB = "webmls-test-encrypted";
const log = [];
const note = (line) => log.push(line);

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function rejectsWith(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    check(e instanceof mod.MlsError && e.code === code, `${what}: ${e}`);
    return;
  }
  throw new Error(`check failed: ${what} did not throw`);
}

const b64 = (b) => btoa(String.fromCharCode(...b));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Every value in the IndexedDB store is ciphertext, except CryptoKeys. */
async function rawValuesEncrypted(inner, storage) {
  let bytes = 0;
  let keys = 0;
  for (const k of await inner.list("")) {
    const raw = await inner.get(k);
    if (raw instanceof CryptoKey) {
      check(k.startsWith("signer/"), `only signature keys are keys: ${k}`);
      check(raw.extractable === false, `${k} is not extractable`);
      keys++;
      continue;
    }
    if (k === "encrypted-storage/meta") continue;
    const plain = await storage.get(k);
    check(raw[0] === 1 && raw.length === plain.length + 29, `${k} sealed`);
    bytes++;
  }
  check(bytes > 0 && keys === 2, `sealed ${bytes}, keys ${keys}`);
  return `${bytes} values sealed, ${keys} signature CryptoKeys kept natively`;
}

async function phase1() {
  const key = await mod.openAppKey({ database: KEY_DB });
  check(key instanceof CryptoKey, "a CryptoKey");
  check(key.extractable === false, "the app key is not extractable");
  check(key.algorithm.name === "AES-GCM", "AES-GCM");
  const inner = new mod.IndexedDbStorage(DB);
  const storage = await mod.EncryptedStorage.open(inner, { key });
  check(storage.canStoreCryptoKeys, "CryptoKeys pass through to IndexedDB");
  const mls = new mod.MLS({ storage });
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const added = await group.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
  );
  await group.receive(added);
  await mls.groupJoin(bob, added);
  const message = await group.send("sent before the reload");
  note(`phase 1: ${await rawValuesEncrypted(inner, storage)}`);
  await storage.close();
  sessionStorage.setItem(
    "at-rest",
    JSON.stringify({
      groupId: group.groupId,
      alice: alice.clientId,
      bob: bob.clientId,
      message: b64(message),
    }),
  );
  note("phase 1: group stored, reloading");
}

async function phase2(saved) {
  const key = await mod.openAppKey({ database: KEY_DB });
  check(key.extractable === false, "still not extractable");
  const inner = new mod.IndexedDbStorage(DB);
  // Another key does not open the store.
  const other = await mod.openAppKey({ database: KEY_DB, name: "other" });
  await rejectsWith(
    mod.EncryptedStorage.open(inner, { key: other }),
    "wrong_key",
    "another key",
  );
  const storage = await mod.EncryptedStorage.open(inner, { key });
  const mls = new mod.MLS({ storage });
  const bobGroup = await mls.groupGet(saved.groupId, saved.bob);
  const aliceGroup = await mls.groupGet(saved.groupId, saved.alice);
  check(bobGroup && aliceGroup, "both views load after the reload");
  const r = await bobGroup.receive(unb64(saved.message));
  check(
    r.type === "application" && r.text() === "sent before the reload",
    "bob reads the message sent before the reload",
  );
  const reply = await bobGroup.receive(await aliceGroup.send("and after"));
  check(reply.text() === "and after", "they carry on");
  note(
    `phase 2: read after reload; ${await rawValuesEncrypted(inner, storage)}`,
  );
  await mls.deleteIdentity(saved.bob);
  await mls.deleteState();
  check((await storage.list("")).length === 0, "everything deleted");
  await storage.close();
  await mod.deleteAppKey({ database: KEY_DB });
  await mod.deleteAppKey({ database: KEY_DB, name: "other" });
  const fresh = await mod.openAppKey({ database: KEY_DB });
  await rejectsWith(
    mod.EncryptedStorage.open(new mod.IndexedDbStorage(DB), { key: fresh }),
    "wrong_key",
    "a new key after deleteAppKey",
  );
  indexedDB.deleteDatabase(DB);
  indexedDB.deleteDatabase(KEY_DB);
  note("phase 2: deleted");
}

try {
  const saved = sessionStorage.getItem("at-rest");
  if (saved === null) {
    await phase1();
    globalThis.__result = { ok: true, reload: true, log };
  } else {
    sessionStorage.removeItem("at-rest");
    await phase2(JSON.parse(saved));
    globalThis.__result = { ok: true, log };
  }
} catch (e) {
  globalThis.__result = { ok: false, log, error: `${e?.stack ?? e}` };
}
