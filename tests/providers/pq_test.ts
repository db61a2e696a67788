// Post-quantum suites: the numberings, the ML-KEM / X-Wing HPKE part, ML-DSA
// on WebCrypto and on @noble/post-quantum, the split hash/KDF of ts-mls's
// suites 77 to 80, and suite names in the MLS API.
import assert from "node:assert/strict";
import { createProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/mod.ts";
import {
  detectWebMlDsa,
  type MlDsaScheme,
  NobleMlDsa,
  WebMlDsa,
} from "../../providers/ml_dsa.ts";
import { deriveKeyPairSeed, PqHpke } from "../../providers/pq_hpke.ts";
import { HPKE_PQ_VECTORS } from "./hpke_pq_vectors.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import {
  CODE_POINTS,
  PQ_SUITES,
  suiteTable,
} from "../../src/crypto/pq_suites.ts";
import { MlsError } from "../../src/errors.ts";
import { MemoryStorage, MLS } from "../../mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const isCode = (code: string) => (e: unknown) =>
  e instanceof MlsError && e.code === code;

Deno.test("pq: numberings", () => {
  const rfc = [1, 2, 3, 4, 5, 6, 7];
  const ids = (p: ReturnType<typeof createProvider>) => [...p.supportedSuites];
  const draft = [
    0xf001,
    0xf002,
    0xf006,
    0xf007,
    0xf008,
    0xf009,
    0xf00a,
    0xf00b,
  ];
  assert.deepEqual(ids(createProvider()), [...rfc, ...draft]);
  assert.deepEqual(
    ids(createProvider({ codePoints: "ts-mls" })),
    [...rfc, ...Array.from({ length: 12 }, (_, i) => 77 + i)],
  );
  assert.deepEqual(ids(createProvider({ codePoints: "openmls" })), [
    ...rfc,
    0x4d,
  ]);
  // The same code point names different suites in two numberings.
  assert.equal(
    suiteTable("ts-mls")[77].name,
    "MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519",
  );
  assert.equal(
    suiteTable("openmls")[77].name,
    "MLS_256_XWING_CHACHA20POLY1305_SHA256_Ed25519",
  );
  // Every named suite of every numbering is defined, and names are unique.
  for (const numbering of Object.values(CODE_POINTS)) {
    for (const name of Object.keys(numbering)) assert.ok(PQ_SUITES[name]);
  }
  const custom = createProvider({
    codePoints: { MLS_256_XWING_AES256GCM_SHA512_Ed25519: 0xfa00 },
  });
  assert.equal(
    custom.suiteNames?.MLS_256_XWING_AES256GCM_SHA512_Ed25519,
    0xfa00,
  );
  for (
    const bad of <Record<string, number>[]> [
      { NOT_A_SUITE: 0xfa00 },
      { MLS_256_XWING_AES256GCM_SHA512_Ed25519: 1 }, // RFC 9420's suite 1
      { MLS_256_XWING_AES256GCM_SHA512_Ed25519: 0x10000 },
      {
        MLS_256_XWING_AES256GCM_SHA512_Ed25519: 0xfa00,
        MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519: 0xfa00,
      },
    ]
  ) {
    assert.throws(
      () => createProvider({ codePoints: bad }),
      isCode("invalid_argument"),
    );
  }
  assert.throws(
    () => createProvider({ codePoints: "nope" as "draft" }),
    isCode("invalid_argument"),
  );
});

const KEMS: [string, number, number, number][] = [
  // [suite name, Npk, Nsk, Nenc] (draft-ietf-hpke-pq-05 §8)
  ["MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519", 800, 64, 768],
  ["MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519", 1184, 64, 1088],
  ["MLS_256_MLKEM1024_AES256GCM_SHA512_Ed25519", 1568, 64, 1568],
  ["MLS_256_XWING_AES256GCM_SHA512_Ed25519", 1216, 32, 1120],
];

for (const [name, npk, nsk, nenc] of KEMS) {
  Deno.test(`pq: HPKE on ${name.split("_")[2]}`, async () => {
    const hpke = new PqHpke({ id: 0, name, ...PQ_SUITES[name] });
    const kp = await hpke.generateKeyPair();
    assert.equal(kp.publicKey.length, npk);
    assert.equal(kp.privateKey.length, nsk);
    assert.deepEqual(await hpke.publicKey(kp.privateKey.slice()), kp.publicKey);

    const info = enc("info"), aad = enc("aad"), pt = enc("plaintext");
    const sealed = await hpke.seal(kp.publicKey, info, aad, pt);
    assert.equal(sealed.kemOutput.length, nenc);
    assert.deepEqual(
      await hpke.open(
        kp.privateKey,
        sealed.kemOutput,
        info,
        aad,
        sealed.ciphertext,
      ),
      pt,
    );
    const badCt = sealed.ciphertext.slice();
    badCt[0] ^= 1;
    await assert.rejects(
      hpke.open(kp.privateKey, sealed.kemOutput, info, aad, badCt),
      isCode("crypto_failure"),
    );
    await assert.rejects(
      hpke.seal(kp.publicKey.subarray(1), info, aad, pt),
      isCode("crypto_failure"),
    );
    await assert.rejects(
      hpke.open(
        kp.privateKey.subarray(1),
        sealed.kemOutput,
        info,
        aad,
        sealed.ciphertext,
      ),
      isCode("crypto_failure"),
    );

    const ex = await hpke.exportSender(kp.publicKey, info, enc("ctx"), 32);
    assert.deepEqual(
      await hpke.exportReceiver(
        kp.privateKey,
        ex.kemOutput,
        info,
        enc("ctx"),
        32,
      ),
      ex.secret,
    );

    // DeriveKeyPair is deterministic and its private key opens.
    const ikm = new Uint8Array(64).fill(7);
    const d1 = await hpke.deriveKeyPair(ikm);
    const d2 = await hpke.deriveKeyPair(ikm.slice());
    assert.deepEqual(d1, d2);
    assert.deepEqual(await hpke.publicKey(d1.privateKey), d1.publicKey);
    if (nsk === 64) {
      // `@hpke/ml-kem` takes only the 64-byte seed as DeriveKeyPair input:
      // the reason the draft's SHA-384 ML-KEM suites are left out.
      await assert.rejects(
        hpke.deriveKeyPair(new Uint8Array(48)),
        isCode("crypto_failure"),
      );
    }
  });
}

Deno.test("pq: draft-ietf-hpke-pq test vectors (labeled DeriveKeyPair)", async () => {
  const names: Record<number, string> = {
    0x41: "MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519",
    0x42: "MLS_192_MLKEM1024_AES256GCM_SHA384_P384",
    0x647a: "MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519",
  };
  assert.equal(HPKE_PQ_VECTORS.length, 3);
  for (const v of HPKE_PQ_VECTORS) {
    const name = names[v.kem];
    // The vector's KDF and AEAD, on the KEM of one of the draft's suites.
    const info = { id: 0, name, ...PQ_SUITES[name], kdf: v.kdf, aead: v.aead };
    const hpke = new PqHpke(info, { labeledDerive: true });
    const kp = await hpke.deriveKeyPair(fromHex(v.ikmR));
    assert.equal(toHex(kp.privateKey), v.skRm, `skRm of KEM ${v.kem}`);
    const pkHash = new Uint8Array(
      await crypto.subtle.digest("SHA-256", kp.publicKey.slice()),
    );
    assert.equal(toHex(pkHash), v.pkRmSha256, `pkRm of KEM ${v.kem}`);
    assert.equal(
      toHex(deriveKeyPairSeed(v.kem, fromHex(v.ikmR), kp.privateKey.length)),
      v.skRm,
    );
    const pt = await hpke.open(
      kp.privateKey,
      fromHex(v.enc),
      fromHex(v.info),
      fromHex(v.aad),
      fromHex(v.ct),
    );
    assert.equal(toHex(pt), v.pt);
    const exported = await hpke.exportReceiver(
      kp.privateKey,
      fromHex(v.enc),
      fromHex(v.info),
      fromHex(v.exporterContext),
      v.L,
    );
    assert.equal(toHex(exported), v.exported);
    // `@hpke/*`'s DeriveKeyPair (ts-mls's) is another function.
    const plain = new PqHpke(info);
    assert.notEqual(
      toHex((await plain.deriveKeyPair(fromHex(v.ikmR))).privateKey),
      v.skRm,
    );
  }
});

const SCHEMES: [MlDsaScheme, number, number][] = [
  ["mldsa44", 1312, 2420],
  ["mldsa65", 1952, 3309],
  ["mldsa87", 2592, 4627],
];

for (const [scheme, npk, nsig] of SCHEMES) {
  Deno.test(`pq: ${scheme} on WebCrypto and @noble/post-quantum`, async () => {
    assert.ok(await detectWebMlDsa(scheme), "Deno has WebCrypto ML-DSA");
    const web = new WebMlDsa(scheme), noble = new NobleMlDsa(scheme);
    const msg = enc("message");
    for (const [a, b] of [[web, noble], [noble, web]]) {
      const kp = await a.generate(true);
      assert.ok(kp.privateKey instanceof Uint8Array);
      assert.equal(kp.privateKey.length, 32);
      assert.equal(kp.publicKey.length, npk);
      // The same seed gives the same public key on both.
      assert.deepEqual(await b.publicKey(kp.privateKey), kp.publicKey);
      const sig = await a.sign(kp.privateKey, msg);
      assert.equal(sig.length, nsig);
      assert.ok(await b.verify(kp.publicKey, msg, sig));
      assert.ok(!await b.verify(kp.publicKey, enc("other"), sig));
      const bad = sig.slice();
      bad[10] ^= 1;
      assert.ok(!await b.verify(kp.publicKey, msg, bad));
      assert.ok(!await b.verify(kp.publicKey, msg, sig.subarray(1)));
      assert.ok(!await b.verify(kp.publicKey.subarray(1), msg, sig));
      const imported = await b.importPrivate(kp.privateKey);
      assert.ok(await a.verify(kp.publicKey, msg, await b.sign(imported, msg)));
    }
    // Non-extractable keys stay CryptoKeys on WebCrypto.
    const nx = await web.generate(false);
    assert.ok(nx.privateKey instanceof CryptoKey);
    assert.equal((nx.privateKey as CryptoKey).extractable, false);
    assert.deepEqual(await web.publicKey(nx.privateKey), nx.publicKey);
    assert.ok(
      await noble.verify(nx.publicKey, msg, await web.sign(nx.privateKey, msg)),
    );
    await assert.rejects(
      noble.sign(new Uint8Array(31), msg),
      isCode("invalid_argument"),
    );
    // A CryptoKey made elsewhere: extractable, or not.
    const name = scheme.replace("mldsa", "ML-DSA-");
    const other = await crypto.subtle.generateKey({ name }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const otherPub = new Uint8Array(
      await crypto.subtle.exportKey("raw-public" as "raw", other.publicKey),
    );
    assert.deepEqual(await web.publicKey(other.privateKey), otherPub);
    const hidden = await crypto.subtle.generateKey({ name }, false, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    await assert.rejects(
      web.publicKey(hidden.privateKey),
      isCode("invalid_argument"),
    );
  });
}

async function suite(id: number, codePoints?: "ts-mls"): Promise<SuiteCrypto> {
  return await createProvider({ codePoints }).suite(id);
}

Deno.test("pq: ts-mls's suites 77 to 80 hash apart from their KDF", async () => {
  for (const [id, digest] of [[77, 32], [79, 48], [81, 64], [83, 64]]) {
    const cs = await suite(id, "ts-mls");
    assert.equal(cs.hashLength, 64, `suite ${id}: KDF.Nh of HKDF-SHA512`);
    assert.equal(cs.digestLength, digest, `suite ${id}: hash length`);
    assert.equal((await cs.hash(enc("x"))).length, digest);
    assert.equal((await cs.mac(new Uint8Array(32), enc("x"))).length, digest);
    const prk = await cs.kdfExtract(new Uint8Array(0), enc("ikm"));
    assert.equal(prk.length, 64);
    assert.deepEqual(
      await cs.kdfExtractExpand!(new Uint8Array(0), enc("ikm"), enc("i"), 70),
      await cs.kdfExpand(prk, enc("i"), 70),
    );
  }
  // Suite 77 says AES128GCM but uses AES-256-GCM, as ts-mls does.
  assert.equal((await suite(77, "ts-mls")).aeadKeyLength, 32);
});

Deno.test("pq: suite names in the MLS API, groups that persist", async () => {
  const draft = new MLS({
    cipherSuite: "MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44",
  });
  assert.equal((await draft.generateIdentity()).cipherSuite, 0xf009);
  // A name the provider's numbering lacks, and a string that is no name.
  assert.throws(
    () => new MLS({ cipherSuite: "MLS_256_XWING_AES256GCM_SHA512_MLDSA87" }),
    isCode("unsupported_cipher_suite"),
  );
  assert.throws(
    () => new MLS({ cipherSuite: "MLS_999" }),
    isCode("invalid_argument"),
  );

  // ts-mls's suite 79 (SHA-384 hash, HKDF-SHA512): a group whose state is
  // stored and loaded again by a second MLS over the same storage.
  const storage = new MemoryStorage();
  const provider = createProvider({ codePoints: "ts-mls" });
  const opts = {
    storage,
    provider,
    cipherSuite: "MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519",
  };
  const mls = new MLS(opts);
  const alice = await mls.generateIdentity();
  assert.equal(alice.cipherSuite, 79);
  const bob = await mls.generateIdentity();
  const g = await mls.groupCreate(alice, await mls.generateCredential("a"));
  const added = await g.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("b")),
  );
  await g.receive(added.commit);
  const b = await mls.groupJoin(bob, added.welcome!);
  const again = (await new MLS(opts).groupGet(g.groupId, alice.clientId))!;
  const got = await b.receive(await again.send("post-quantum hello"));
  assert.ok(got.type === "application");
  assert.equal(got.text(), "post-quantum hello");
  assert.deepEqual(
    await again.exportSecret("l", "c", 32),
    await b.exportSecret("l", "c", 32),
  );
});
