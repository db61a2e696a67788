// Secrets at rest (issue 14, finding 4). A group flow runs over a Deno KV
// file; after each step the test collects the secrets the store holds —
// signature private keys, key packages' HPKE private keys, and, read from
// the group states through the group layer, the real epoch secrets
// (init, exporter, sender data, confirmation, membership, resumption...),
// the secret trees' node and ratchet secrets, the TreeKEM HPKE private
// keys — and scans the RAW BYTES of the KV file and its -wal and -shm
// files for them.
//
// With EncryptedStorage, no secret ever appears, at any step, nor after
// MLS.deleteIdentity(), MLS.deleteState() and close().
//
// Without it, the secrets are of course in the file while they are live,
// and — what this test documents — deleting them does not remove them:
// Deno KV's SQLite does not overwrite deleted rows (no secure_delete, and
// Deno KV offers no VACUUM), so after deleteIdentity(), deleteState() and
// close() the deleted signature keys and group secrets are still in the
// file's pages. Encryption at rest is the answer.
import assert from "node:assert/strict";
import {
  DenoKvStorage,
  EncryptedStorage,
  type GroupView,
  MLS,
  type Storage,
} from "../../mod.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { deserializeWhole, loadState } from "../../src/api/persist.ts";
import { keyPackageRecord, pendingRecord } from "../../src/api/records.ts";
import type { GroupState } from "../../src/group/state.ts";
import type { SecretTreeState } from "../../src/schedule/secret_tree.ts";
import { toHex } from "../../src/util/bytes.ts";

/** Shorter byte strings could match by chance; every secret here is longer. */
const MIN_LENGTH = 16;

/** Secrets seen so far, by hex, with what they are. */
class Secrets {
  readonly all = new Map<string, { label: string; bytes: Uint8Array }>();

  add(label: string, bytes: Uint8Array | undefined): void {
    if (!bytes || bytes.length < MIN_LENGTH) return;
    const hex = toHex(bytes);
    if (!this.all.has(hex)) this.all.set(hex, { label, bytes: bytes.slice() });
  }

  tree(label: string, t: Readonly<SecretTreeState>): void {
    for (const [i, v] of t.nodes) this.add(`${label} secret tree node ${i}`, v);
    for (const [i, l] of t.leaves) {
      for (const kind of ["handshake", "application"] as const) {
        const r = l[kind];
        this.add(`${label} leaf ${i} ${kind} ratchet secret`, r.secret);
        for (const kn of r.skipped.values()) {
          this.add(`${label} leaf ${i} ${kind} skipped key`, kn.key);
        }
      }
    }
  }

  state(who: string, s: GroupState): void {
    const e = `${who} epoch ${s.context.epoch}`;
    for (const [name, v] of Object.entries(s.keys)) {
      this.add(`${e} ${name}`, v as Uint8Array);
    }
    this.tree(e, s.secretTree.state);
    for (const x of s.privateTree.nodes()) {
      this.add(
        `${who} TreeKEM HPKE private key (node ${x})`,
        s.privateTree.privateKey(x),
      );
    }
    for (const k of s.updateKeys.values()) this.add(`${who} update key`, k);
    for (const [ep, psk] of s.resumptionPsks) {
      this.add(`${who} resumption psk ${ep}`, psk);
    }
    for (const p of s.past) {
      const pe = `${who} past epoch ${p.context.epoch}`;
      this.add(`${pe} sender data secret`, p.senderDataSecret);
      this.tree(pe, p.secretTree.state);
    }
  }

  /**
   * Reads every secret `storage` (the store MLS uses, so plaintext)
   * holds now, through the records' codecs and the group layer.
   */
  async collect(storage: Storage): Promise<void> {
    const provider = defaultProvider();
    for (const key of await storage.list("")) {
      const [kind, a, b, ...more] = key.split("/");
      const v = await storage.get(key);
      if (!(v instanceof Uint8Array)) continue;
      if (kind === "signer") {
        this.add(`signature private key of ${a.slice(0, 6)}`, v);
      } else if (kind === "keypackage") {
        const r = keyPackageRecord.decode(v);
        this.add("key package init private key", r.initPrivateKey);
        this.add("key package leaf private key", r.encryptionPrivateKey);
      } else if ((kind === "group" || kind === "pending") && !more.length) {
        const signer = (await storage.get(`signer/${b}`))!;
        const who = b.slice(0, 6);
        if (kind === "group") {
          const loaded = await loadState(storage, provider, key, a, b, signer);
          this.state(who, loaded!.state);
        } else {
          const rec = pendingRecord.decode(v);
          const current = await loadState(
            storage,
            provider,
            `group/${a}/${b}`,
            a,
            b,
            signer,
          );
          this.state(
            `${who} pending`,
            await deserializeWhole(
              rec.state,
              provider,
              signer,
              current!.state,
            ),
          );
        }
      }
    }
  }
}

/** The files of a Deno KV database. */
function kvFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/** The secrets found in the raw bytes of `files` (labels). */
async function scan(files: string[], secrets: Secrets): Promise<string[]> {
  // Index by the first 4 bytes: one pass over each file.
  const index = new Map<number, Uint8Array[]>();
  for (const { bytes } of secrets.all.values()) {
    const head = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    index.set(head, [...(index.get(head) ?? []), bytes]);
  }
  const found = new Set<string>();
  for (const file of files) {
    let data: Uint8Array;
    try {
      data = await Deno.readFile(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    const view = new DataView(data.buffer, data.byteOffset);
    for (let i = 0; i + MIN_LENGTH <= data.length; i++) {
      const candidates = index.get(view.getUint32(i));
      if (!candidates) continue;
      for (const c of candidates) {
        if (i + c.length > data.length) continue;
        let same = true;
        for (let j = 4; j < c.length && same; j++) same = data[i + j] === c[j];
        if (same) found.add(toHex(c));
      }
    }
  }
  return [...found].map((h) => secrets.all.get(h)!.label).sort();
}

/**
 * The flow: two clients in one storage, a group, messages both ways (one
 * held back, so a skipped key is kept), an update, a pending commit.
 * `checkpoint` runs after every step.
 */
async function flow(
  storage: Storage,
  checkpoint: (step: string) => Promise<void>,
): Promise<{ mls: MLS; alice: string; bob: string }> {
  const mls = new MLS({ storage });
  const alice = await mls.generateIdentity();
  const bob = await mls.generateIdentity();
  const cred = (n: string) => mls.generateCredential(n);
  const kp = await mls.generateKeyPackage(bob, await cred("bob"));
  await mls.generateKeyPackage(bob, await cred("bob")); // stays unused
  await checkpoint("identities and key packages");
  const a: GroupView = await mls.groupCreate(alice, await cred("alice"));
  const added = await a.add(kp);
  await a.receive(added);
  const b = await mls.groupJoin(bob, added);
  await checkpoint("group of two");
  const held = await a.send("held back");
  for (let i = 0; i < 3; i++) await b.receive(await a.send(`a${i}`));
  for (let i = 0; i < 3; i++) await a.receive(await b.send(`b${i}`));
  await checkpoint("messages");
  const upd = await b.update();
  await a.receive(upd);
  await b.receive(upd);
  await b.receive(held); // a past epoch's late message
  await a.receive(await b.send("after the update"));
  await checkpoint("update");
  await a.update(); // left pending
  await checkpoint("pending commit");
  return { mls, alice: alice.clientId, bob: bob.clientId };
}

async function tempKv(): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "webmls-at-rest-" });
  return { dir, path: `${dir}/mls.kv` };
}

Deno.test("at rest: with EncryptedStorage no secret is ever in the Deno KV files", async () => {
  const { dir, path } = await tempKv();
  try {
    const kv = new DenoKvStorage(path);
    const storage = await EncryptedStorage.open(kv, {
      rawKey: crypto.getRandomValues(new Uint8Array(32)),
    });
    const secrets = new Secrets();
    const leaks: string[] = [];
    const { mls, alice } = await flow(storage, async (step) => {
      await secrets.collect(storage);
      for (const l of await scan(kvFiles(path), secrets)) {
        leaks.push(`${step}: ${l}`);
      }
    });
    assert.ok(secrets.all.size > 50, `${secrets.all.size} secrets collected`);
    const labels = [...secrets.all.values()].map((s) => s.label).join("\n");
    for (
      const what of [
        "signature private key",
        "key package init private key",
        "initSecret",
        "exporterSecret",
        "senderDataSecret",
        "application ratchet secret",
        "skipped key",
        "TreeKEM HPKE private key",
        "pending epoch",
      ]
    ) {
      assert.ok(labels.includes(what), `collected: ${what}`);
    }
    // The scan reads the right files: the stored ciphertext is there.
    const probe = new Secrets();
    probe.add(
      "a stored ciphertext",
      (await kv.get(`signer/${alice}`)) as Uint8Array,
    );
    assert.deepEqual(await scan(kvFiles(path), probe), ["a stored ciphertext"]);

    await mls.deleteIdentity(alice);
    await mls.deleteState();
    assert.deepEqual(await storage.list(""), []);
    await storage.close();
    leaks.push(...await scan(kvFiles(path), secrets));
    assert.deepEqual(leaks, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("at rest: without it, deleted secrets stay in the Deno KV file's pages", async () => {
  const { dir, path } = await tempKv();
  try {
    const storage = new DenoKvStorage(path);
    const secrets = new Secrets();
    const { mls, alice } = await flow(storage, async () => {
      const live = new Secrets();
      await live.collect(storage);
      await secrets.collect(storage);
      // While live, every secret is in the files in plaintext.
      const found = await scan(kvFiles(path), live);
      assert.equal(found.length, live.all.size, "the scan finds live secrets");
    });
    await mls.deleteIdentity(alice);
    await mls.deleteState();
    assert.deepEqual(await storage.list(""), []);
    await storage.close();
    const left = await scan(kvFiles(path), secrets);
    // What this documents: deletion is not erasure in SQLite. The signature
    // private keys (written once, deleted at the end) and the secrets of
    // the states last stored survive in freed space of the file.
    assert.ok(
      left.some((l) => l.startsWith("signature private key")),
      `signature keys left: ${left.length} of ${secrets.all.size} secrets`,
    );
    assert.ok(left.some((l) => l.includes("exporterSecret")), left.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
