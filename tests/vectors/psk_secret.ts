// psk_secret.json: psk_secret from external PSKs (RFC 9420 §8.4).
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { PSKType } from "../../src/messages/psk.ts";
import { derivePskSecret } from "../../src/schedule/psk.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface PskSecretVector {
  cipher_suite: number;
  psks: { psk_id: string; psk: string; psk_nonce: string }[];
  psk_secret: string;
}

/** Checks one psk_secret entry. */
export async function check(v: PskSecretVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const secret = await derivePskSecret(
    cs,
    v.psks.map((p) => ({
      id: {
        pskType: PSKType.external,
        pskId: fromHex(p.psk_id),
        pskNonce: fromHex(p.psk_nonce),
      },
      psk: fromHex(p.psk),
    })),
  );
  assert.equal(toHex(secret), v.psk_secret);
}
