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
