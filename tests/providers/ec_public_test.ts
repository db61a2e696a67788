// The HPKE provider's `@noble/curves` fallback for P-curve public keys
// (providers/ec_public.ts), taken where a runtime cannot export a
// PKCS#8-imported ECDH private key as JWK (Firefox). Here Firefox's refusal
// is imitated by making every JWK export of an ECDH private key fail.
import assert from "node:assert/strict";
import {
  ecPublicOfScalar,
  ecScalarOfPkcs8,
} from "../../providers/ec_public.ts";
import { createProvider } from "../../providers/mod.ts";

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const CURVES: [number, string, number][] = [
  [0x0010, "P-256", 32],
  [0x0011, "P-384", 48],
  [0x0012, "P-521", 66],
];
const enc = (s: string) => new TextEncoder().encode(s);

function pad(b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(b, n - b.length);
  return out;
}

Deno.test("ec_public: scalar from PKCS#8 and public key agree with WebCrypto", async () => {
  for (const [kem, namedCurve, nsk] of CURVES) {
    const alg = { name: "ECDH", namedCurve };
    const kp = await crypto.subtle.generateKey(alg, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey("jwk", kp.privateKey);
    // Deno's PKCS#8 carries the optional parameters and public key.
    const pkcs8 = new Uint8Array(
      await crypto.subtle.exportKey("pkcs8", kp.privateKey),
    );
    const scalar = ecScalarOfPkcs8(pkcs8, nsk);
    assert.deepEqual(scalar, pad(fromB64url(jwk.d!), nsk), namedCurve);
    const raw = new Uint8Array(
      await crypto.subtle.exportKey("raw", kp.publicKey),
    );
    assert.deepEqual(ecPublicOfScalar(kem, scalar), raw, namedCurve);
    // Not a PrivateKeyInfo: trailing bytes, a cut, another tag.
    assert.throws(() => ecScalarOfPkcs8(new Uint8Array([...pkcs8, 0]), nsk));
    assert.throws(() => ecScalarOfPkcs8(pkcs8.subarray(0, -1), nsk));
    const other = pkcs8.slice();
    other[0] = 0x31;
    assert.throws(() => ecScalarOfPkcs8(other, nsk));
    assert.throws(() => ecScalarOfPkcs8(pkcs8, nsk - 1), namedCurve);
  }
  assert.throws(() => ecPublicOfScalar(0x0020, new Uint8Array(32)));
});

/** Runs `f` while every JWK export of an ECDH private key fails. */
async function withoutEcPrivateJwk(f: () => Promise<void>): Promise<void> {
  const subtle = crypto.subtle;
  const original = subtle.exportKey;
  let refused = 0;
  Object.defineProperty(subtle, "exportKey", {
    configurable: true,
    writable: true,
    value: function (format: KeyFormat, key: CryptoKey) {
      if (
        format === "jwk" && key.type === "private" &&
        key.algorithm.name === "ECDH"
      ) {
        refused++;
        return Promise.reject(new DOMException("refused", "OperationError"));
      }
      // deno-lint-ignore no-explicit-any
      return original.call(subtle, format as any, key);
    },
  });
  try {
    await f();
  } finally {
    delete (subtle as { exportKey?: unknown }).exportKey;
  }
  assert.equal(subtle.exportKey, original);
  // The imitation was in force: `@hpke/core` tries a JWK export first.
  assert.ok(refused > 0, "no JWK export was attempted");
}

Deno.test("ec_public: P-curve HPKE works without JWK export of private keys", async () => {
  const native = createProvider({ kdf: "webcrypto" });
  const fallback = createProvider({ forcePureJs: true, kdf: "webcrypto" });
  for (const id of [2, 5, 7]) {
    const n = await native.suite(id);
    const ikm = crypto.getRandomValues(new Uint8Array(32));
    const expected = await n.hpkeDeriveKeyPair(ikm);
    const generated = await n.hpkeGenerateKeyPair();
    await withoutEcPrivateJwk(async () => {
      const f = await fallback.suite(id);
      assert.match(f.implementation!, /public keys by @noble\/curves/);
      // DeriveKeyPair is deterministic: the same pair as with a JWK export.
      const derived = await f.hpkeDeriveKeyPair(ikm);
      assert.deepEqual(derived, expected, `suite ${id} DeriveKeyPair`);
      // A fresh key pair, and public keys of imported private keys.
      const fresh = await f.hpkeGenerateKeyPair();
      assert.deepEqual(
        await f.hpkePublicKey(fresh.privateKey),
        fresh.publicKey,
      );
      assert.deepEqual(
        await f.hpkePublicKey(generated.privateKey),
        generated.publicKey,
      );
      // Seal/open both ways between the two providers.
      const msg = enc(`suite ${id}`);
      for (
        const [pair, sealer, opener] of [
          [derived, n, f],
          [fresh, f, f],
          [generated, f, n],
        ] as const
      ) {
        const s = await sealer.hpkeSeal(
          pair.publicKey,
          enc("i"),
          enc("a"),
          msg,
        );
        const opened = await opener.hpkeOpen(
          pair.privateKey,
          s.kemOutput,
          enc("i"),
          enc("a"),
          s.ciphertext,
        );
        assert.deepEqual(opened, msg, `suite ${id}`);
      }
    });
  }
});

Deno.test("ec_public: the default provider takes the JWK route on Deno", async () => {
  const cs = await createProvider().suite(2);
  assert.equal(
    cs.implementation,
    "signature: WebCrypto ecdsa_secp256r1_sha256; HPKE: WebCrypto DHKEM(P-256); AEAD: WebCrypto AES-GCM; KDF: js (@noble/hashes)",
  );
});
