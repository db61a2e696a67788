/**
 * SFrame keys from the MLS exporter (RFC 9605 §5.2, §4.4.2), checked
 * against RFC 9605 Appendix C.3's key derivation vectors (all five
 * suites) and, for the AES-GCM suites, its ciphertexts (WebCrypto).
 */
import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { MlsError } from "../../src/errors.ts";
import {
  SFRAME_BASE_KEY_LABEL,
  sframeExport,
  sframeKeyAndSalt,
  sframeKeyId,
} from "../../export.ts";
import { MLS } from "../../mod.ts";

/** RFC 9605 Appendix C.3 (kid 0x123, base_key 00..0f). */
const C3 = [
  {
    suite: 1,
    key:
      "3f7d9a7c83ae8e1c8a11ae695ab59314b367e359fadac7b9c46b2bc6f81f46e16b96f0811868d59402b7e870102720b3",
    salt: "50b29329a04dc0f184ac3168",
  },
  {
    suite: 2,
    key:
      "e2ec5c797540310483b16bf6e7a570d2a27d192fe869c7ccd8584a8d9dab91549fbe553f5113461ec6aa83bf3865553e",
    salt: "e68ac8dd3d02fbcd368c5577",
  },
  {
    suite: 3,
    key:
      "2c5703089cbb8c583475e4fc461d97d18809df79b6d550f78eb6d50ffa80d89211d57909934f46f5405e38cd583c69fe",
    salt: "38c16e4f5159700c00c7f350",
  },
  {
    suite: 4,
    key: "d34f547f4ca4f9a7447006fe7fcbf768",
    salt: "75234edefe07819026751816",
    nonce: "75234edefe07819026755d71",
    ct:
      "9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb",
  },
  {
    suite: 5,
    key: "d3e27b0d4a5ae9e55df01a70e6d4d28d969b246e2936f4b7a5d9b494da6b9633",
    salt: "84991c167b8cd23c93708ec7",
    nonce: "84991c167b8cd23c9370cba0",
    ct:
      "990123456794f509d36e9beacb0e261d99c7d1e972f1fed787d4049f17ca21353c1cc24d56ceabced279",
  },
];
const BASE_KEY = fromHex("000102030405060708090a0b0c0d0e0f");
const METADATA = fromHex("4945544620534672616d65205747");
const PT = fromHex(
  "64726166742d696574662d736672616d652d656e63",
) as Uint8Array<ArrayBuffer>;
const HEADER = fromHex("9901234567"); // KID 0x123, CTR 0x4567 (§4.3)

Deno.test("sframe: key and salt of RFC 9605 C.3, all five suites", async () => {
  for (const v of C3) {
    const { key, salt } = await sframeKeyAndSalt(BASE_KEY, 0x123n, v.suite);
    assert.equal(toHex(key), v.key, `suite ${v.suite} key`);
    assert.equal(toHex(salt), v.salt, `suite ${v.suite} salt`);
  }
});

Deno.test("sframe: the AES-GCM suites' C.3 ciphertexts with the derived key and nonce", async () => {
  for (const v of C3.filter((x) => x.ct)) {
    const { key, salt } = await sframeKeyAndSalt(BASE_KEY, 0x123n, v.suite);
    // nonce = salt XOR CTR (§4.4.3), CTR 0x4567 in the low bytes.
    const nonce = salt.slice();
    nonce[10] ^= 0x45;
    nonce[11] ^= 0x67;
    assert.equal(toHex(nonce), v.nonce);
    const k = await crypto.subtle.importKey("raw", key, "AES-GCM", false, [
      "encrypt",
    ]);
    const aad = new Uint8Array([...HEADER, ...METADATA]);
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: nonce, additionalData: aad },
        k,
        PT,
      ),
    );
    assert.equal(toHex(new Uint8Array([...HEADER, ...ct])), v.ct);
  }
});

Deno.test("sframe: KIDs of RFC 9605 Figure 7 (S = 6, E = 4)", () => {
  const layout = { epochBits: 4, indexBits: 6 };
  assert.equal(sframeKeyId(15n, 3, layout), 0x3fn);
  assert.equal(sframeKeyId(15n, 5, layout), 0x5fn);
  assert.equal(sframeKeyId(16n, 2, layout, 2n), 0x820n);
  assert.equal(sframeKeyId(16n, 2, layout, 3n), 0xc20n);
  assert.equal(sframeKeyId(17n, 33, layout), 0x211n);
  assert.equal(sframeKeyId(17n, 51, layout), 0x331n);
  for (
    const bad of [
      () => sframeKeyId(1n, 64, layout),
      () => sframeKeyId(1n, 0, layout, 1n << 54n),
      () => sframeKeyId(1n, 0, { epochBits: 0, indexBits: 6 }),
      () => sframeExport(6),
    ]
  ) {
    assert.throws(
      bad,
      (e: unknown) => e instanceof MlsError && e.code === "invalid_argument",
    );
  }
});

Deno.test('sframe: a member\'s base key is MLS-Exporter("SFrame 1.0 Base Key", "", Nk)', async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const g = await mls.groupCreate(alice, await mls.generateCredential("a"));
  const grant = sframeExport(4);
  assert.deepEqual(grant, {
    label: SFRAME_BASE_KEY_LABEL,
    context: "",
    length: 16,
  });
  const base = await g.exportSecret(grant.label, grant.context, grant.length);
  assert.equal(base.length, 16);
  const { key } = await sframeKeyAndSalt(
    base,
    sframeKeyId(0n, 0, { epochBits: 4, indexBits: 1 }),
    4,
  );
  assert.equal(key.length, 16);
});
