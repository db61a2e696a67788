// The WebCrypto HPKE (providers/hpke_web.ts) against @hpke/core, suite by
// suite: DeriveKeyPair gives the same keys, each side opens what the other
// sealed (single and batched), exports agree, and bad inputs fail with
// crypto_failure.
import assert from "node:assert/strict";
import { createProvider } from "../providers/mod.ts";
import type { SuiteCrypto } from "../providers/provider.ts";
import { MlsError } from "../src/errors.ts";

const web = createProvider();
const lib = createProvider({ hpke: "hpke-js" });
const te = new TextEncoder();

async function cryptoFailure(p: Promise<unknown>): Promise<void> {
  await assert.rejects(
    p,
    (e) => e instanceof MlsError && e.code === "crypto_failure",
  );
}

async function crossSeal(
  from: SuiteCrypto,
  to: SuiteCrypto,
  pub: Uint8Array,
  priv: Uint8Array,
): Promise<void> {
  const info = te.encode("info"), aad = te.encode("aad");
  const pt = te.encode("path secret");
  const s = await from.hpkeSeal(pub, info, aad, pt);
  assert.deepEqual(
    await to.hpkeOpen(priv, s.kemOutput, info, aad, s.ciphertext),
    pt,
  );
  assert.deepEqual(
    await to.hpkeOpen(priv.slice(), s.kemOutput, info, aad, s.ciphertext, pub),
    pt,
  );
}

for (const id of web.supportedSuites) {
  Deno.test(`WebCrypto HPKE vs @hpke/core: suite ${id}`, async () => {
    const a = await web.suite(id);
    const b = await lib.suite(id);
    for (let i = 0; i < 8; i++) {
      const ikm = crypto.getRandomValues(new Uint8Array(32 + i));
      const x = await a.hpkeDeriveKeyPair(ikm);
      const y = await b.hpkeDeriveKeyPair(ikm);
      assert.deepEqual(x.publicKey, y.publicKey);
      assert.deepEqual(x.privateKey, y.privateKey);
      assert.deepEqual(
        await a.hpkePublicKey(x.privateKey.slice()),
        x.publicKey,
      );
    }
    const kp = await a.hpkeGenerateKeyPair();
    assert.deepEqual(await b.hpkePublicKey(kp.privateKey), kp.publicKey);
    await crossSeal(a, b, kp.publicKey, kp.privateKey);
    await crossSeal(b, a, kp.publicKey, kp.privateKey);
    await crossSeal(a, a, kp.publicKey, kp.privateKey);

    // A batch under one info opens one by one, on both sides.
    const keys = await Promise.all(
      [1, 2, 3].map(() => b.hpkeGenerateKeyPair()),
    );
    const info = te.encode("one context for all");
    const batch = await a.hpkeSealMany!(
      keys.map((k, j) => ({
        publicKey: k.publicKey,
        plaintext: te.encode(`${j}`),
      })),
      info,
      new Uint8Array(0),
    );
    for (const [j, s] of batch.entries()) {
      assert.deepEqual(
        await b.hpkeOpen(
          keys[j].privateKey,
          s.kemOutput,
          info,
          new Uint8Array(0),
          s.ciphertext,
        ),
        te.encode(`${j}`),
      );
    }

    // Exports agree both ways.
    const ctx = te.encode("exporter context");
    const e1 = await a.hpkeExportSender(kp.publicKey, info, ctx, 40);
    assert.deepEqual(
      await b.hpkeExportReceiver(kp.privateKey, e1.kemOutput, info, ctx, 40),
      e1.secret,
    );
    const e2 = await b.hpkeExportSender(kp.publicKey, info, ctx, 40);
    assert.deepEqual(
      await a.hpkeExportReceiver(kp.privateKey, e2.kemOutput, info, ctx, 40),
      e2.secret,
    );

    // Failures.
    const s = await a.hpkeSeal(kp.publicKey, info, ctx, ctx);
    const flip = s.ciphertext.slice();
    flip[0] ^= 1;
    await cryptoFailure(
      a.hpkeOpen(kp.privateKey, s.kemOutput, info, ctx, flip),
    );
    await cryptoFailure(
      a.hpkeOpen(kp.privateKey, s.kemOutput, te.encode("x"), ctx, s.ciphertext),
    );
    await cryptoFailure(
      a.hpkeOpen(
        kp.privateKey,
        s.kemOutput,
        info,
        ctx,
        s.ciphertext,
        keys[0].publicKey, // the wrong public key changes the KEM context
      ),
    );
    await cryptoFailure(
      a.hpkeOpen(kp.privateKey, new Uint8Array(3), info, ctx, s.ciphertext),
    );
    await cryptoFailure(a.hpkeSeal(new Uint8Array(3), info, ctx, ctx));
  });
}

Deno.test("WebCrypto HPKE: an all-zero X25519 output is rejected", async () => {
  const cs = await web.suite(1);
  const kp = await cs.hpkeGenerateKeyPair();
  // The identity point (all zero) as the peer's key makes DH output zero.
  await cryptoFailure(
    cs.hpkeSeal(
      new Uint8Array(32),
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(1),
    ),
  );
  await cryptoFailure(
    cs.hpkeOpen(
      kp.privateKey,
      new Uint8Array(32),
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(17),
    ),
  );
});
