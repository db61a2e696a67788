// The built-in crypto provider: every suite, native and forced pure-JS.
import assert from "node:assert/strict";
import {
  createProvider,
  defaultProvider,
  derToP1363,
  p1363ToDer,
} from "../../providers/mod.ts";
import type { CryptoProvider, SuiteCrypto } from "../../providers/mod.ts";
import { detectWebCryptoFeatures } from "../../providers/detect.ts";
import { MlsError } from "../../src/errors.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { loadVectors } from "../vectors/harness.ts";
import { checkWith } from "../vectors/crypto_basics.ts";

const SUITES = [1, 2, 3, 4, 5, 6, 7];
const PROVIDERS: [string, CryptoProvider][] = [
  ["native", defaultProvider()],
  // The default's KDF is "js" on Deno: WebCrypto's HKDF in HPKE too.
  ["native, kdf: webcrypto", createProvider({ kdf: "webcrypto" })],
  ["pure-js", createProvider({ forcePureJs: true })],
];
const enc = (s: string) => new TextEncoder().encode(s);

function flip(b: Uint8Array, at = b.length - 1): Uint8Array {
  const c = b.slice();
  c[at] ^= 1;
  return c;
}

async function assertCryptoFailure(p: Promise<unknown>): Promise<void> {
  await assert.rejects(
    p,
    (e) => e instanceof MlsError && e.code === "crypto_failure",
  );
}

async function signatures(cs: SuiteCrypto): Promise<void> {
  const msg = enc("message");
  const { publicKey, privateKey } = await cs.signatureGenerateKeyPair();
  assert.ok(privateKey instanceof Uint8Array, "extractable key is raw");
  assert.deepEqual(await cs.signaturePublicKey(privateKey), publicKey);
  const sig = await cs.sign(privateKey, msg);
  assert.ok(await cs.verify(publicKey, msg, sig));
  assert.equal(await cs.verify(publicKey, enc("other"), sig), false);
  assert.equal(await cs.verify(publicKey, msg, flip(sig)), false);
  assert.equal(await cs.verify(publicKey, msg, flip(sig, 10)), false);
  assert.equal(await cs.verify(publicKey, msg, new Uint8Array(0)), false);
  assert.equal(await cs.verify(publicKey, msg, sig.subarray(1)), false);
  assert.equal(await cs.verify(new Uint8Array(3), msg, sig), false);
  assert.equal(await cs.verify(flip(publicKey, 0), msg, sig), false);

  // import from raw: a handle that signs for the same public key
  const imported = await cs.signatureImportPrivateKey(privateKey.slice());
  assert.deepEqual(await cs.signaturePublicKey(imported), publicKey);
  assert.ok(await cs.verify(publicKey, msg, await cs.sign(imported, msg)));
  await assert.rejects(cs.signatureImportPrivateKey(new Uint8Array(5)));
}

async function nonExtractable(cs: SuiteCrypto, native: boolean) {
  const msg = enc("hello");
  const kp = await cs.signatureGenerateKeyPair({ extractable: false });
  if (native) {
    assert.ok(kp.privateKey instanceof CryptoKey);
    assert.equal(kp.privateKey.extractable, false);
  }
  assert.deepEqual(await cs.signaturePublicKey(kp.privateKey), kp.publicKey);
  assert.ok(
    await cs.verify(kp.publicKey, msg, await cs.sign(kp.privateKey, msg)),
  );
}

async function aead(cs: SuiteCrypto): Promise<void> {
  const key = cs.randomBytes(cs.aeadKeyLength);
  const nonce = cs.randomBytes(cs.aeadNonceLength);
  const aad = enc("aad");
  const pt = enc("plaintext");
  const ct = await cs.aeadSeal(key, nonce, aad, pt);
  assert.equal(ct.length, pt.length + 16);
  assert.deepEqual(await cs.aeadOpen(key, nonce, aad, ct), pt);
  assert.deepEqual(
    await cs.aeadOpen(
      key,
      nonce,
      new Uint8Array(0),
      await cs.aeadSeal(
        key,
        nonce,
        new Uint8Array(0),
        new Uint8Array(0),
      ),
    ),
    new Uint8Array(0),
  );
  await assertCryptoFailure(cs.aeadOpen(key, nonce, aad, flip(ct)));
  await assertCryptoFailure(cs.aeadOpen(key, nonce, enc("AAD"), ct));
  await assertCryptoFailure(cs.aeadOpen(key, flip(nonce), aad, ct));
  await assertCryptoFailure(cs.aeadOpen(flip(key), nonce, aad, ct));
  await assertCryptoFailure(cs.aeadOpen(key, nonce, aad, ct.subarray(0, 8)));
  // the key cache notices a key changed in place
  const k2 = key.slice();
  await cs.aeadSeal(k2, nonce, aad, pt);
  k2[0] ^= 0xff;
  await assertCryptoFailure(
    cs.aeadOpen(key, nonce, aad, await cs.aeadSeal(k2, nonce, aad, pt)),
  );
}

async function hpke(cs: SuiteCrypto): Promise<void> {
  const info = enc("info");
  const aad = enc("aad");
  const pt = enc("secret");
  const ikm = cs.randomBytes(cs.hashLength);
  const a = await cs.hpkeDeriveKeyPair(ikm);
  const b = await cs.hpkeDeriveKeyPair(ikm.slice());
  assert.deepEqual(a, b, "DeriveKeyPair is deterministic");
  // a fresh copy bypasses the cache seeded by DeriveKeyPair
  assert.deepEqual(await cs.hpkePublicKey(a.privateKey.slice()), a.publicKey);
  assert.deepEqual(await cs.hpkePublicKey(a.privateKey), a.publicKey);

  for (const kp of [a, await cs.hpkeGenerateKeyPair()]) {
    assert.deepEqual(
      await cs.hpkePublicKey(kp.privateKey.slice()),
      kp.publicKey,
    );
    const { kemOutput, ciphertext } = await cs.hpkeSeal(
      kp.publicKey,
      info,
      aad,
      pt,
    );
    for (const priv of [kp.privateKey, kp.privateKey.slice()]) {
      assert.deepEqual(
        await cs.hpkeOpen(priv, kemOutput, info, aad, ciphertext),
        pt,
      );
    }
    const sk = kp.privateKey;
    await assertCryptoFailure(
      cs.hpkeOpen(sk, kemOutput, info, aad, flip(ciphertext)),
    );
    await assertCryptoFailure(
      cs.hpkeOpen(sk, kemOutput, enc("other"), aad, ciphertext),
    );
    await assertCryptoFailure(
      cs.hpkeOpen(sk, kemOutput, info, new Uint8Array(0), ciphertext),
    );
    await assertCryptoFailure(
      cs.hpkeOpen(sk, new Uint8Array(3), info, aad, ciphertext),
    );
    await assertCryptoFailure(
      cs.hpkeOpen(new Uint8Array(3), kemOutput, info, aad, ciphertext),
    );
  }
  await assertCryptoFailure(cs.hpkeSeal(new Uint8Array(3), info, aad, pt));
}

async function kdf(cs: SuiteCrypto): Promise<void> {
  const nh = cs.hashLength;
  const ikm = enc("ikm");
  assert.deepEqual(
    await cs.kdfExtract(new Uint8Array(0), ikm),
    await cs.kdfExtract(new Uint8Array(nh), ikm),
  );
  const empty = await cs.kdfExtract(new Uint8Array(0), new Uint8Array(0));
  assert.equal(empty.length, nh);
  assert.deepEqual(
    await cs.mac(new Uint8Array(0), ikm),
    await cs.mac(new Uint8Array(nh), ikm),
  );
  const prk = await cs.kdfExtract(enc("salt"), ikm);
  const long = await cs.kdfExpand(prk, enc("info"), 255 * nh);
  assert.equal(long.length, 255 * nh);
  assert.deepEqual(
    await cs.kdfExpand(prk, enc("info"), nh + 1),
    long.subarray(0, nh + 1),
  );
  assert.equal((await cs.kdfExpand(prk, enc("info"), 0)).length, 0);
  await assert.rejects(cs.kdfExpand(prk, enc("info"), 255 * nh + 1));
  // the HMAC key cache notices a key changed in place
  const key = enc("key");
  const before = await cs.mac(key, ikm);
  key[0] ^= 1;
  assert.notDeepEqual(await cs.mac(key, ikm), before);
  assert.deepEqual(await cs.mac(key, ikm), await cs.mac(key.slice(), ikm));
}

for (const [name, provider] of PROVIDERS) {
  for (const id of SUITES) {
    Deno.test(`provider ${name}: suite ${id}`, async (t) => {
      const cs = await provider.suite(id);
      assert.equal(cs.id, id);
      assert.equal(await provider.suite(id), cs, "suites are built once");
      await t.step("signatures", () => signatures(cs));
      await t.step(
        "non-extractable signature key",
        () =>
          nonExtractable(cs, name.startsWith("native") && ![4, 6].includes(id)),
      );
      await t.step("aead", () => aead(cs));
      await t.step("hpke", () => hpke(cs));
      await t.step("kdf", () => kdf(cs));
    });
  }
}

Deno.test("provider: suites and errors", async () => {
  for (const [, p] of PROVIDERS) {
    // RFC 9420's seven, then the draft's post-quantum suites (Private Use).
    assert.deepEqual([...p.supportedSuites], [
      ...SUITES,
      ...[0xf001, 0xf002, 0xf006, 0xf007, 0xf008, 0xf009, 0xf00a, 0xf00b],
    ]);
    await assert.rejects(
      p.suite(99),
      (e) => e instanceof MlsError && e.code === "unsupported_cipher_suite",
    );
  }
});

Deno.test("provider: Deno has native Ed25519, X25519 and X448", async () => {
  assert.deepEqual(await detectWebCryptoFeatures(), {
    ed25519: true,
    x25519: true,
    x448: true,
    ecdhJwkOfPkcs8: true,
  });
});

Deno.test("pure-JS fallback: EdDSA keys stay raw", async () => {
  const cs = await createProvider({ forcePureJs: true }).suite(1);
  const kp = await cs.signatureGenerateKeyPair({ extractable: false });
  assert.ok(kp.privateKey instanceof Uint8Array);
});

Deno.test("native and pure-JS interoperate", async () => {
  const [native, pure] = PROVIDERS.map(([, p]) => p);
  for (const id of SUITES) {
    const a = await native.suite(id);
    const b = await pure.suite(id);
    const msg = enc("interop");
    for (const [x, y] of [[a, b], [b, a]]) {
      const kp = await x.signatureGenerateKeyPair();
      assert.ok(
        await y.verify(kp.publicKey, msg, await x.sign(kp.privateKey, msg)),
      );
      assert.deepEqual(await y.signaturePublicKey(kp.privateKey), kp.publicKey);
      const h = await x.hpkeGenerateKeyPair();
      const s = await y.hpkeSeal(h.publicKey, msg, msg, msg);
      assert.deepEqual(
        await x.hpkeOpen(h.privateKey, s.kemOutput, msg, msg, s.ciphertext),
        msg,
      );
      const ikm = x.randomBytes(32);
      assert.deepEqual(
        await x.hpkeDeriveKeyPair(ikm),
        await y.hpkeDeriveKeyPair(ikm),
      );
    }
  }
});

Deno.test("crypto-basics vectors with the pure-JS fallback", async () => {
  const pure = createProvider({ forcePureJs: true });
  for (const v of loadVectors("crypto-basics.json")) await checkWith(pure, v);
});

Deno.test("DER <-> P1363", () => {
  // r with the high bit set gains a zero byte; s with leading zeros loses them
  const raw = fromHex("80" + "11".repeat(31) + "0000" + "7f".repeat(30));
  const der = p1363ToDer(raw);
  assert.equal(
    toHex(der),
    "3043022100" + "80" + "11".repeat(31) + "021e" + "7f".repeat(30),
  );
  assert.deepEqual(derToP1363(der, 32), raw);
  // P-521 sized signatures need a long-form sequence length
  const big = new Uint8Array(132).fill(0xff);
  const bigDer = p1363ToDer(big);
  assert.equal(toHex(bigDer.subarray(0, 3)), "30818a");
  assert.deepEqual(derToP1363(bigDer, 66), big);
  // zero values encode as a single zero byte
  assert.equal(toHex(p1363ToDer(new Uint8Array(64))), "3006020100020100");
  // malformed inputs
  const bad = [
    "", // empty
    "3006020100020100" + "00", // trailing byte
    "3106020100020100", // wrong tag
    "30060201000201", // truncated
    "300702020001020100", // non-minimal integer
    "3006020180020100", // negative integer
    "308106020100020100", // non-minimal length
    "30050200020100", // zero-length integer
    "3026022101" + "00".repeat(32) + "020100", // integer too long
  ];
  for (const h of bad) assert.equal(derToP1363(fromHex(h), 32), null, h);
});

Deno.test("signature import without PKCS#8 support uses JWK", async () => {
  const subtle = crypto.subtle as SubtleCrypto & {
    importKey: (...args: unknown[]) => Promise<CryptoKey>;
  };
  const original = subtle.importKey;
  subtle.importKey = function (this: SubtleCrypto, ...args: unknown[]) {
    if (args[0] === "pkcs8") {
      return Promise.reject(new DOMException("no PKCS#8", "NotSupportedError"));
    }
    return original.apply(this, args);
  };
  try {
    const fresh = createProvider();
    for (const v of loadVectors("crypto-basics.json")) {
      const cs = await fresh.suite(v.cipher_suite);
      const priv = fromHex(v.sign_with_label.priv);
      assert.equal(
        toHex(await cs.signaturePublicKey(priv)),
        v.sign_with_label.pub,
      );
      const msg = enc("jwk route");
      const pub = fromHex(v.sign_with_label.pub);
      assert.ok(await cs.verify(pub, msg, await cs.sign(priv, msg)));
      const handle = await cs.signatureImportPrivateKey(priv);
      assert.ok(await cs.verify(pub, msg, await cs.sign(handle, msg)));
    }
  } finally {
    subtle.importKey = original;
  }
});

Deno.test("HPKE export: sender and receiver derive the same secret", async () => {
  const provider = defaultProvider();
  for (const id of provider.supportedSuites) {
    const cs = await provider.suite(id);
    const kp = await cs.hpkeDeriveKeyPair(
      new Uint8Array(cs.hashLength).fill(7),
    );
    const info = new Uint8Array(0);
    const label = new TextEncoder().encode("MLS 1.0 external init secret");
    const sent = await cs.hpkeExportSender(
      kp.publicKey,
      info,
      label,
      cs.hashLength,
    );
    const got = await cs.hpkeExportReceiver(
      kp.privateKey,
      sent.kemOutput,
      info,
      label,
      cs.hashLength,
    );
    assert.deepEqual(got, sent.secret, `suite ${id}`);
    const other = await cs.hpkeGenerateKeyPair();
    const wrong = await cs.hpkeExportReceiver(
      other.privateKey,
      sent.kemOutput,
      info,
      label,
      cs.hashLength,
    );
    assert.notDeepEqual(wrong, sent.secret, `suite ${id}`);
  }
});
