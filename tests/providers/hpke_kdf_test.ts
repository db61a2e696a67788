// The memoizing HPKE KDF must give exactly what @hpke/core's own KDF gives,
// for the remembered inputs and for every other input.
import assert from "node:assert/strict";
import {
  Aes128Gcm,
  CipherSuite,
  DhkemP384HkdfSha384,
  DhkemX25519HkdfSha256,
  DhkemX448HkdfSha512,
  HkdfSha256,
  HkdfSha384,
  HkdfSha512,
  type KdfInterface,
  type KemInterface,
} from "@hpke/core";
import { KeyScheduleMemoKdf } from "../../providers/hpke_kdf.ts";
import { KeyBytesSubtle } from "../../providers/hpke_tuning.ts";
import { createProvider, type CryptoProvider } from "../../providers/mod.ts";
import { MlsError } from "../../src/errors.ts";
import { SUBTLE_METHODS } from "../subtle_methods.ts";

const enc = new TextEncoder();
const SUITE_ID = enc.encode("HPKE\x00\x20\x00\x01\x00\x01");

const kdfs: [string, () => KdfInterface, () => KemInterface][] = [
  ["SHA-256", () => new HkdfSha256(), () => new DhkemX25519HkdfSha256()],
  ["SHA-384", () => new HkdfSha384(), () => new DhkemP384HkdfSha384()],
  ["SHA-512", () => new HkdfSha512(), () => new DhkemX448HkdfSha512()],
];

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

for (const [name, makeKdf, makeKem] of kdfs) {
  Deno.test(`HPKE memo KDF (${name}) equals @hpke/core's KDF`, async () => {
    const pinned = bytes(5000, 1);
    const memo = new KeyScheduleMemoKdf(makeKdf(), pinned);
    const plain = makeKdf();
    memo.init(SUITE_ID);
    plain.init(SUITE_ID);
    const hex = (b: ArrayBuffer) => new Uint8Array(b).toString();
    const label = (s: string) => enc.encode(s);

    // Remembered inputs, asked twice; then inputs that must bypass the memo:
    // another info of the same length, a prefix, a non-empty PSK id.
    const cases: [string, Uint8Array][] = [
      ["info_hash", pinned],
      ["info_hash", pinned.slice()],
      ["psk_id_hash", new Uint8Array(0)],
      ["psk_id_hash", new Uint8Array(0)],
      ["info_hash", bytes(5000, 2)],
      ["info_hash", pinned.subarray(0, 4999)],
      ["psk_id_hash", bytes(16, 3)],
      ["other", pinned],
    ];
    for (const [l, ikm] of cases) {
      assert.equal(
        hex(await memo.labeledExtract(new Uint8Array(0), label(l), ikm)),
        hex(await plain.labeledExtract(new Uint8Array(0), label(l), ikm)),
        `${l} of ${ikm.length} bytes`,
      );
    }
    const salt = bytes(memo.hashSize, 4);
    assert.equal(
      hex(await memo.labeledExtract(salt, label("info_hash"), pinned)),
      hex(await plain.labeledExtract(salt, label("info_hash"), pinned)),
    );

    // extractAndExpand with base mode's constant ikm (cached import) and
    // with a PSK's ikm (not cached).
    for (const psk of [new Uint8Array(0), bytes(32, 5)]) {
      const ikm = plain.buildLabeledIkm(label("secret"), psk);
      for (const len of [12, 16, memo.hashSize]) {
        const info = bytes(40, len);
        assert.equal(
          hex(await memo.extractAndExpand(salt, ikm, info, len)),
          hex(await plain.extractAndExpand(salt, ikm, info, len)),
        );
      }
    }
  });

  Deno.test(`HPKE memo KDF (${name}): seals open with @hpke/core`, async () => {
    const info = bytes(3000, 7);
    const kem = makeKem();
    const memoSuite = new CipherSuite({
      kem,
      kdf: new KeyScheduleMemoKdf(makeKdf(), info),
      aead: new Aes128Gcm(),
    });
    const plainSuite = new CipherSuite({
      kem,
      kdf: makeKdf(),
      aead: new Aes128Gcm(),
    });
    const pair = await kem.generateKeyPair();
    const pt = enc.encode("group secrets");
    for (const i of [info, bytes(3000, 8), new Uint8Array(0)]) {
      // The pinned info as its bare buffer is recognized by identity.
      const sealed = await memoSuite.seal(
        { recipientPublicKey: pair.publicKey, info: i === info ? i.buffer : i },
        pt,
      );
      const opened = await plainSuite.open(
        { recipientKey: pair, enc: sealed.enc, info: i },
        sealed.ct,
      );
      assert.deepEqual(new Uint8Array(opened), pt);
      // The other way round, and a wrong info fails.
      const back = await plainSuite.seal(
        { recipientPublicKey: pair.publicKey, info: i },
        pt,
      );
      assert.deepEqual(
        new Uint8Array(
          await memoSuite.open(
            { recipientKey: pair, enc: back.enc, info: i },
            back.ct,
          ),
        ),
        pt,
      );
      await assert.rejects(() =>
        memoSuite.open(
          { recipientKey: pair, enc: back.enc, info: bytes(3000, 9) },
          back.ct,
        )
      );
    }
  });
}

// The provider's HPKE in its three forms must interoperate for every suite:
// WebCrypto HKDF, the JS HKDF (`kdf: "js"`, also in the KEM) and the pure-JS
// KEMs. Seals (one and batched), opens with and without the recipient's
// public key, exports and DeriveKeyPair give the same results across them.
const HPKE_PROVIDERS: [string, CryptoProvider][] = [
  ["webcrypto kdf", createProvider({ kdf: "webcrypto" })],
  ["js kdf", createProvider({ kdf: "js" })],
  ["pure-js", createProvider({ forcePureJs: true, kdf: "webcrypto" })],
];

Deno.test("HPKE: WebCrypto HKDF, JS HKDF and pure-JS KEMs interoperate", async () => {
  for (const id of [1, 2, 3, 4, 5, 6, 7]) {
    const suites = await Promise.all(
      HPKE_PROVIDERS.map(([, p]) => p.suite(id)),
    );
    const ikm = bytes(suites[0].hashLength, id);
    const derived = await Promise.all(
      suites.map((cs) => cs.hpkeDeriveKeyPair(ikm)),
    );
    for (const d of derived) assert.deepEqual(d, derived[0], `suite ${id}`);
    const info = bytes(300, id + 1);
    const aad = bytes(20, id + 2);
    const pt = bytes(32, id + 3);
    for (const [i, sender] of suites.entries()) {
      const kp = await sender.hpkeGenerateKeyPair();
      const one = await sender.hpkeSeal(kp.publicKey, info, aad, pt);
      const many = await sender.hpkeSealMany!(
        [kp, derived[0], kp].map((k) => ({
          publicKey: k.publicKey,
          plaintext: pt,
        })),
        info,
        aad,
      );
      const exp = await sender.hpkeExportSender(kp.publicKey, info, aad, 32);
      for (const [j, receiver] of suites.entries()) {
        const what = `suite ${id}: ${HPKE_PROVIDERS[i][0]} -> ${
          HPKE_PROVIDERS[j][0]
        }`;
        for (const pub of [undefined, kp.publicKey]) {
          assert.deepEqual(
            await receiver.hpkeOpen(
              kp.privateKey.slice(),
              one.kemOutput,
              info,
              aad,
              one.ciphertext,
              pub,
            ),
            pt,
            what,
          );
        }
        assert.deepEqual(
          await receiver.hpkeOpen(
            derived[0].privateKey,
            many[1].kemOutput,
            info,
            aad,
            many[1].ciphertext,
          ),
          pt,
          what,
        );
        for (const s of [many[0], many[2]]) {
          assert.deepEqual(
            await receiver.hpkeOpen(
              kp.privateKey,
              s.kemOutput,
              info,
              aad,
              s.ciphertext,
              kp.publicKey,
            ),
            pt,
            what,
          );
        }
        assert.deepEqual(
          await receiver.hpkeExportReceiver(
            kp.privateKey,
            exp.kemOutput,
            info,
            aad,
            32,
            kp.publicKey,
          ),
          exp.secret,
          what,
        );
      }
    }
  }
});

Deno.test("HPKE: a wrong known public key fails the open and is not remembered", async () => {
  for (const [name, p] of HPKE_PROVIDERS) {
    const cs = await p.suite(1);
    const kp = await cs.hpkeGenerateKeyPair();
    const other = await cs.hpkeGenerateKeyPair();
    const info = bytes(10, 1);
    const s = await cs.hpkeSeal(kp.publicKey, info, info, info);
    const priv = kp.privateKey.slice();
    await assert.rejects(
      () =>
        cs.hpkeOpen(
          priv,
          s.kemOutput,
          info,
          info,
          s.ciphertext,
          other.publicKey,
        ),
      MlsError,
      name,
    );
    assert.deepEqual(
      await cs.hpkeOpen(priv, s.kemOutput, info, info, s.ciphertext),
      info,
      name,
    );
    assert.deepEqual(
      await cs.hpkeOpen(
        priv,
        s.kemOutput,
        info,
        info,
        s.ciphertext,
        kp.publicKey,
      ),
      info,
      name,
    );
  }
});

Deno.test("HPKE: a seal-only KDF skips only the exporter secret", async () => {
  const plain = new HkdfSha256();
  const sealOnly = new KeyScheduleMemoKdf(new HkdfSha256(), undefined, {
    sealOnly: true,
  });
  plain.init(SUITE_ID);
  sealOnly.init(SUITE_ID);
  const ikm = plain.buildLabeledIkm(enc.encode("secret"), new Uint8Array(0));
  const ctx = bytes(65, 3);
  const salt = bytes(32, 4);
  for (
    const [label, len] of [["key", 16], ["base_nonce", 12], [
      "exp",
      32,
    ]] as const
  ) {
    const info = plain.buildLabeledInfo(enc.encode(label), ctx, len);
    const got = new Uint8Array(
      await sealOnly.extractAndExpand(salt, ikm, info, len),
    );
    const want = new Uint8Array(
      await plain.extractAndExpand(salt, ikm, info, len),
    );
    if (label === "exp") assert.deepEqual(got, new Uint8Array(len));
    else assert.deepEqual(got, want, label);
  }
});

Deno.test("HPKE: KeyBytesSubtle returns what WebCrypto exports, PKCS#8 once", async () => {
  const subtle = new KeyBytesSubtle();
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(
    await crypto.subtle.exportKey("raw", pair.publicKey),
  );
  const pkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", pair.privateKey),
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const viaRaw = await subtle.importKey(
    "raw",
    raw,
    { name: "X25519" },
    true,
    [],
  );
  const viaJwk = await subtle.importKey(
    "jwk",
    jwk,
    { name: "X25519" },
    true,
    [],
  );
  for (const k of [viaRaw, viaJwk]) {
    assert.deepEqual(new Uint8Array(await subtle.exportKey("raw", k)), raw);
  }
  const priv = await subtle.importKey(
    "pkcs8",
    pkcs8,
    { name: "X25519" },
    true,
    ["deriveBits"],
  );
  assert.deepEqual(
    new Uint8Array(await subtle.exportKey("pkcs8", priv)),
    pkcs8,
  );
  // Handed out once; the next export asks WebCrypto (same bytes).
  assert.deepEqual(
    new Uint8Array(await subtle.exportKey("pkcs8", priv)),
    pkcs8,
  );
  const again = await subtle.importKey(
    "pkcs8",
    pkcs8,
    { name: "X25519" },
    true,
    ["deriveBits"],
  );
  subtle.forget(again);
  assert.deepEqual(
    new Uint8Array(await subtle.exportKey("pkcs8", again)),
    pkcs8,
  );
});

/** `crypto.subtle` calls made by `f`, by method. */
async function subtleCalls(f: () => Promise<unknown>): Promise<number> {
  const subtle = crypto.subtle as unknown as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  const saved: [string, (...a: unknown[]) => unknown][] = [];
  let n = 0;
  for (
    const m of SUBTLE_METHODS
  ) {
    const orig = subtle[m];
    saved.push([m, orig]);
    subtle[m] = function (this: unknown, ...a: unknown[]) {
      n++;
      return orig.apply(crypto.subtle, a);
    };
  }
  try {
    await f();
  } finally {
    for (const [m, orig] of saved) subtle[m] = orig;
  }
  return n;
}

// The calls per operation that bench/README.md reports (suite 1); a change
// of @hpke's internals that undoes the tuning shows here.
Deno.test("HPKE: WebCrypto calls per seal, open and DeriveKeyPair", async () => {
  const expected: [string, CryptoProvider, Record<string, number>][] = [
    ["webcrypto kdf", HPKE_PROVIDERS[0][1], { seal: 9, open: 10, derive: 7 }],
    ["js kdf", HPKE_PROVIDERS[1][1], { seal: 5, open: 4, derive: 3 }],
  ];
  for (const [name, p, want] of expected) {
    const cs = await p.suite(1);
    const keys = await Promise.all(
      Array.from({ length: 8 }, () => cs.hpkeGenerateKeyPair()),
    );
    const info = bytes(100, 1);
    const batch = keys.map((k) => ({
      publicKey: k.publicKey,
      plaintext: info,
    }));
    await cs.hpkeSealMany!(batch, info, info);
    // A batch hashes its info once (two calls with the WebCrypto HKDF).
    const sealCalls = await subtleCalls(() =>
      cs.hpkeSealMany!(batch, info, info)
    );
    assert.equal(
      sealCalls,
      8 * want.seal + (name === "js kdf" ? 0 : 2),
      `${name}: seal`,
    );
    const s = await cs.hpkeSeal(keys[0].publicKey, info, info, info);
    const priv = keys[0].privateKey.slice();
    await cs.hpkeOpen(
      priv,
      s.kemOutput,
      info,
      info,
      s.ciphertext,
      keys[0].publicKey,
    );
    assert.equal(
      await subtleCalls(() =>
        cs.hpkeOpen(
          priv,
          s.kemOutput,
          info,
          info,
          s.ciphertext,
          keys[0].publicKey,
        )
      ),
      want.open,
      `${name}: open`,
    );
    assert.equal(
      await subtleCalls(() => cs.hpkeDeriveKeyPair(bytes(32, 9))),
      want.derive,
      `${name}: DeriveKeyPair`,
    );
  }
});
