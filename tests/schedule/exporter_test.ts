// The exporter's one-call HKDF derivation (with its per-label input keying
// material and the cached Hash("")) against the definition of RFC 9420 §8.5
// spelled out with ExpandWithLabel, across "epochs" (exporter secrets),
// labels, contexts, lengths and suites.

import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { deriveSecret, expandWithLabel } from "../../src/crypto/labeled.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import { toHex, utf8Encode } from "../../src/util/bytes.ts";

/** MLS-Exporter exactly as §8.5 writes it. */
async function reference(
  cs: SuiteCrypto,
  exporterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const derived = await deriveSecret(cs, exporterSecret, label);
  return expandWithLabel(
    cs,
    derived,
    "exported",
    await cs.hash(context),
    length,
  );
}

/** The same suite without the one-call HKDF (the fallback path). */
function withoutExtractExpand(cs: SuiteCrypto): SuiteCrypto {
  return {
    id: cs.id,
    hashLength: cs.hashLength,
    aeadKeyLength: cs.aeadKeyLength,
    aeadNonceLength: cs.aeadNonceLength,
    hash: (d) => cs.hash(d),
    mac: (k, d) => cs.mac(k, d),
    kdfExtract: (s, i) => cs.kdfExtract(s, i),
    kdfExpand: (p, i, l) => cs.kdfExpand(p, i, l),
  } as SuiteCrypto;
}

const contexts = [
  new Uint8Array(0),
  new Uint8Array([9]),
  new Uint8Array(100),
  utf8Encode("a longer context ".repeat(20)),
];

for (const suite of [1, 2, 3, 7]) {
  Deno.test(`exporter: suite ${suite} matches §8.5 across epochs, labels, contexts, lengths`, async () => {
    // Every suite has a provider path (WebCrypto or the @noble fallback):
    // a missing one is a failure, not a skip.
    const cs = await defaultProvider().suite(suite);
    const fallback = withoutExtractExpand(cs);
    const nh = cs.hashLength;
    for (let epoch = 0; epoch < 3; epoch++) {
      const secret = new Uint8Array(nh).fill(epoch + 1);
      for (const label of ["", "x", "application key", "x"]) {
        for (const ctx of contexts) {
          for (const length of [0, 16, nh, nh + 1, 3 * nh + 5]) {
            const want = toHex(
              await reference(cs, secret, label, ctx, length),
            );
            assert.equal(
              toHex(await mlsExporter(cs, secret, label, ctx, length)),
              want,
              `epoch ${epoch} label ${label} ctx ${ctx.length} len ${length}`,
            );
            assert.equal(
              toHex(await mlsExporter(fallback, secret, label, ctx, length)),
              want,
            );
          }
        }
      }
    }
  });
}

Deno.test("exporter: a reused secret buffer with new contents gives the new epoch's values", async () => {
  const cs = await defaultProvider().suite(1);
  const secret = new Uint8Array(32).fill(1);
  const ctx = new Uint8Array(0);
  const first = await mlsExporter(cs, secret, "label", ctx, 32);
  secret.fill(2);
  const second = await mlsExporter(cs, secret, "label", ctx, 32);
  assert.notEqual(toHex(first), toHex(second));
  assert.equal(
    toHex(second),
    toHex(await reference(cs, secret, "label", ctx, 32)),
  );
});

Deno.test("exporter: many labels (beyond the per-label memo) and byte labels", async () => {
  const cs = await defaultProvider().suite(1);
  const secret = new Uint8Array(32).fill(5);
  const ctx = new Uint8Array([1, 2, 3]);
  const labels = Array.from({ length: 100 }, (_, i) => `label ${i}`);
  // Twice, so that evicted labels are derived again.
  for (let round = 0; round < 2; round++) {
    const got = await Promise.all(
      labels.map((l) => mlsExporter(cs, secret, l, ctx, 32)),
    );
    for (let i = 0; i < labels.length; i += 7) {
      assert.equal(
        toHex(got[i]),
        toHex(await reference(cs, secret, labels[i], ctx, 32)),
      );
    }
  }
  // A byte label is its UTF-8 string's equal, and a non-UTF-8 one works.
  assert.equal(
    toHex(await mlsExporter(cs, secret, utf8Encode("label 3"), ctx, 32)),
    toHex(await mlsExporter(cs, secret, "label 3", ctx, 32)),
  );
  const raw = new Uint8Array([0xff, 0x00, 0x80]);
  const a = await mlsExporter(cs, secret, raw, ctx, 32);
  const b = await mlsExporter(
    withoutExtractExpand(cs),
    secret,
    raw,
    ctx,
    32,
  );
  assert.equal(toHex(a), toHex(b));
});
