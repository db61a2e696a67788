// secret-tree.json: sender-data key/nonce (RFC 9420 §6.3.2) and the
// handshake/application ratchets of every leaf (§9).
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { SecretTree } from "../../src/schedule/secret_tree.ts";
import { senderDataKeyNonce } from "../../src/schedule/sender_data.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

interface SecretTreeVector {
  cipher_suite: number;
  sender_data: {
    sender_data_secret: string;
    ciphertext: string;
    key: string;
    nonce: string;
  };
  encryption_secret: string;
  leaves: {
    generation: number;
    handshake_key: string;
    handshake_nonce: string;
    application_key: string;
    application_nonce: string;
  }[][];
}

/** Checks one secret-tree entry. */
export async function check(v: SecretTreeVector): Promise<void> {
  const cs = await defaultProvider().suite(v.cipher_suite);
  const sd = await senderDataKeyNonce(
    cs,
    fromHex(v.sender_data.sender_data_secret),
    fromHex(v.sender_data.ciphertext),
  );
  assert.equal(toHex(sd.key), v.sender_data.key, "sender_data.key");
  assert.equal(toHex(sd.nonce), v.sender_data.nonce, "sender_data.nonce");

  const tree = SecretTree.create(
    cs,
    fromHex(v.encryption_secret),
    v.leaves.length,
  );
  for (let i = 0; i < v.leaves.length; i++) {
    for (const g of v.leaves[i]) {
      const [h, a] = await Promise.all([
        tree.consumeKey(i, "handshake", g.generation),
        tree.consumeKey(i, "application", g.generation),
      ]);
      const at = `leaf ${i} generation ${g.generation}`;
      assert.equal(toHex(h.key), g.handshake_key, `handshake_key ${at}`);
      assert.equal(toHex(h.nonce), g.handshake_nonce, `handshake_nonce ${at}`);
      assert.equal(toHex(a.key), g.application_key, `application_key ${at}`);
      assert.equal(
        toHex(a.nonce),
        g.application_nonce,
        `application_nonce ${at}`,
      );
    }
  }
}
