// The direct encoder of secret tree states (and of the ratchets record
// stored after every message) against the generic codec it replaces: the
// same bytes, for trees with expanded paths, many leaves, skipped keys,
// and several epochs.

import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import {
  decode,
  encode,
  struct,
  uint64,
  uint8,
  vector,
} from "../../src/codec/codec.ts";
import { SecretTree } from "../../src/schedule/secret_tree.ts";
import {
  secretTreeStateCodec,
  secretTreeStateReferenceCodec,
  secretTreeStateSize,
} from "../../src/group/stored/secret_tree.ts";
import { ratchetsWrite } from "../../src/api/persist.ts";
import {
  type EpochRatchets,
  ratchetsCodec,
  type RatchetsRecord,
} from "../../src/api/records.ts";
import type { GroupState } from "../../src/group/state.ts";
import { toHex } from "../../src/util/bytes.ts";

const cs = await defaultProvider().suite(1);

const referenceRecord = struct<RatchetsRecord>({
  version: uint8,
  trees: vector(
    struct<EpochRatchets>({
      epoch: uint64,
      tree: secretTreeStateReferenceCodec,
    }),
  ),
});

/** A tree of `leaves` leaves where `senders` leaves have sent messages. */
async function used(leaves: number, senders: number): Promise<SecretTree> {
  const t = SecretTree.create(cs, new Uint8Array(32).fill(3), leaves, {
    maxSkippedKeys: 100,
  });
  for (let i = 0; i < senders; i++) {
    const leaf = (i * 7) % leaves;
    await t.nextKey(leaf, "application");
    await t.nextKey(leaf, "handshake");
    // Skipping ahead leaves skipped keys behind (more for low leaves, so
    // some skipped vectors need a two-byte length).
    await t.consumeKey(leaf, "application", 3 + (leaf < 3 ? 80 : leaf % 5));
  }
  return t;
}

function assertSameEncoding(t: SecretTree) {
  const want = encode(secretTreeStateReferenceCodec, t.state);
  const got = encode(secretTreeStateCodec, t.state);
  assert.equal(toHex(got), toHex(want));
  assert.equal(secretTreeStateSize(t.state), want.length);
  const back = decode(secretTreeStateCodec, got, "SecretTree");
  assert.equal(toHex(encode(secretTreeStateCodec, back)), toHex(want));
}

Deno.test("secret tree encoding: direct encoder equals the generic codec", async () => {
  for (const [leaves, senders] of [[1, 0], [1, 1], [5, 0], [5, 3], [64, 40]]) {
    assertSameEncoding(await used(leaves, senders));
  }
  // Over 16 KiB of leaves: four-byte vector lengths.
  assertSameEncoding(await used(300, 300));
});

Deno.test("ratchets record: one exact buffer, the same bytes as the codec", async () => {
  const epochs = [await used(8, 5), await used(8, 0), await used(200, 120)];
  const state = {
    context: { epoch: 7n },
    secretTree: epochs[0],
    past: [
      { context: { epoch: 6n }, secretTree: epochs[1] },
      { context: { epoch: 5n }, secretTree: epochs[2] },
    ],
  } as unknown as GroupState;
  const w = ratchetsWrite(state, "g", "c");
  const value = w.value as Uint8Array;
  assert.equal(value.byteOffset, 0);
  assert.equal(value.buffer.byteLength, value.length);
  const trees = [7n, 6n, 5n].map((epoch, i) => ({
    epoch,
    tree: epochs[i].state,
  })) as EpochRatchets[];
  const want = encode(referenceRecord, { version: 1, trees });
  assert.equal(toHex(value), toHex(want));
  const back = decode(ratchetsCodec, value, "Ratchets");
  assert.deepEqual(back.trees.map((t) => t.epoch), [7n, 6n, 5n]);
  // A single small epoch too (one-byte record length).
  const small = { ...state, past: [] } as unknown as GroupState;
  assert.equal(
    toHex(ratchetsWrite(small, "g", "c").value as Uint8Array),
    toHex(
      encode(referenceRecord, { version: 1, trees: trees.slice(0, 1) }),
    ),
  );
});
