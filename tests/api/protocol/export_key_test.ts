// exportKey: non-extractable WebCrypto keys from the MLS exporter (RFC 9420
// §8.5), equal across members, through the public API and the example.
import assert from "node:assert/strict";
import { MLS, MlsError } from "../../../mod.ts";
import { main } from "../../../examples/export_key.ts";

Deno.test("exportKey: one member encrypts, another decrypts with its own key (example)", async () => {
  const r = await main(() => {});
  assert.equal(r.opened, "the quarterly report");
  assert.equal(r.tagOk, true);
  assert.equal(r.extractable, false);
});

Deno.test("exportKey: the key is the exporter's output; HKDF and HMAC keys; another epoch, another key", async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  // An AES-128 key equals the 16 exported bytes: what one seals, a key
  // imported from exportSecret opens.
  const key = await group.exportKey(
    "k",
    "c",
    { name: "AES-GCM", length: 128 },
    ["encrypt"],
  );
  assert.equal(key.extractable, false);
  assert.deepEqual(key.algorithm, { name: "AES-GCM", length: 128 });
  const raw = await group.exportSecret("k", "c", 16) as Uint8Array<ArrayBuffer>;
  const same = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
    "decrypt",
  ]);
  const iv = new Uint8Array(12);
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    key,
    new Uint8Array([7]),
  );
  assert.deepEqual(
    new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv }, same, sealed),
    ),
    new Uint8Array([7]),
  );
  // An HKDF base key of the suite's hash length derives further keys.
  const base = await group.exportKey("kdf", "", "HKDF", ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: iv },
    base,
    128,
  );
  assert.equal(bits.byteLength, 16);
  // HMAC-SHA-512 has a 64-byte key.
  const mac = await group.exportKey("mac", "", {
    name: "HMAC",
    hash: "SHA-512",
  }, ["sign"]);
  assert.equal((mac.algorithm as HmacKeyAlgorithm).length, 512);
  // The next epoch gives another key: its ciphertext no longer opens.
  await group.receive(await group.update());
  const later = await group.exportKey(
    "k",
    "c",
    { name: "AES-GCM", length: 128 },
    ["decrypt"],
  );
  await assert.rejects(
    crypto.subtle.decrypt({ name: "AES-GCM", iv }, later, sealed),
  );
});

Deno.test("exportKey: arguments are checked", async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const bad = (field: string) => (e: unknown) =>
    e instanceof MlsError && e.code === "invalid_argument" && e.field === field;
  await assert.rejects(
    // @ts-expect-error: not an algorithm exportKey makes
    group.exportKey("k", "", "RSA-OAEP", ["encrypt"]),
    bad("algorithm.name"),
  );
  await assert.rejects(
    // @ts-expect-error: AES-192 is not offered
    group.exportKey("k", "", { name: "AES-GCM", length: 192 }, ["encrypt"]),
    bad("algorithm.length"),
  );
  await assert.rejects(
    group.exportKey("k", "", "AES-GCM", ["sign"]),
    bad("usages"),
  );
  await assert.rejects(group.exportKey("k", "", "HMAC", []), bad("usages"));
});
