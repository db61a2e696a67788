// Maps stored as vectors of entries (group/stored/unique_map.ts): one
// codec for the proposals, update keys and resumption PSKs of a state and
// the node secrets and leaves of a secret tree. A key twice is refused,
// naming the entry, instead of the later entry silently winning.

import assert from "node:assert/strict";
import {
  decode,
  encode,
  opaque,
  struct,
  uint32,
  uint64,
  vector,
} from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { resumptionPsksCodec } from "../../src/group/stored/parts.ts";
import { secretTreeStateCodec } from "../../src/group/stored/secret_tree.ts";
import { uniqueMap } from "../../src/group/stored/unique_map.ts";

const entry = struct<{ k: number; v: Uint8Array }>({ k: uint32, v: opaque });
const codec = uniqueMap(
  entry,
  (e) => [e.k, e.v],
  (k, v) => ({ k, v }),
);

function duplicate(field: string) {
  return (e: unknown) => {
    assert.ok(e instanceof MlsError, String(e));
    assert.equal(e.code, "invalid_value");
    assert.equal(e.field, field);
    return true;
  };
}

Deno.test("unique map: round trip in map order", () => {
  const m = new Map([[5, new Uint8Array([1])], [2, new Uint8Array([2, 3])]]);
  const bytes = encode(codec, m);
  assert.deepEqual(
    bytes,
    encode(vector(entry), [
      { k: 5, v: new Uint8Array([1]) },
      { k: 2, v: new Uint8Array([2, 3]) },
    ]),
  );
  const back = decode(codec, bytes, "M");
  assert.deepEqual([...back.keys()], [5, 2]);
  assert.deepEqual(back.get(2), new Uint8Array([2, 3]));
});

Deno.test("unique map: a key twice is invalid_value naming the entry", () => {
  const bytes = encode(vector(entry), [
    { k: 1, v: new Uint8Array([1]) },
    { k: 2, v: new Uint8Array([2]) },
    { k: 1, v: new Uint8Array([3]) },
  ]);
  assert.throws(() => decode(codec, bytes, "M"), duplicate("M[2]"));
  // Inside a struct, the path is the field's.
  const outer = struct<{ m: Map<number, Uint8Array> }>({ m: codec });
  assert.throws(() => decode(outer, bytes, "Outer"), duplicate("Outer.m[2]"));
});

Deno.test("unique map: a state's resumption PSKs refuse an epoch twice", () => {
  const psk = struct<{ epoch: bigint; psk: Uint8Array }>({
    epoch: uint64,
    psk: opaque,
  });
  const bytes = encode(vector(psk), [
    { epoch: 3n, psk: new Uint8Array(32) },
    { epoch: 3n, psk: new Uint8Array(32).fill(1) },
  ]);
  assert.throws(
    () => decode(resumptionPsksCodec, bytes, "GroupState.resumptionPsks"),
    duplicate("GroupState.resumptionPsks[1]"),
  );
});

Deno.test("unique map: a secret tree refuses a node or a leaf twice", () => {
  const node = struct<{ node: number; secret: Uint8Array }>({
    node: uint32,
    secret: opaque,
  });
  interface Ratchet {
    generation: number;
    secret: Uint8Array;
    skipped: number[];
  }
  const ratchet: Ratchet = {
    generation: 0,
    secret: new Uint8Array(32),
    skipped: [],
  };
  const ratchetCodec = struct<Ratchet>({
    generation: uint32,
    secret: opaque,
    skipped: vector(uint32),
  });
  const leaf = struct<
    { leaf: number; handshake: typeof ratchet; application: typeof ratchet }
  >({ leaf: uint32, handshake: ratchetCodec, application: ratchetCodec });
  const state = (
    nodes: { node: number; secret: Uint8Array }[],
    leaves: number[],
  ) =>
    encode(
      struct<{
        leafCount: number;
        nodes: typeof nodes;
        leaves: {
          leaf: number;
          handshake: typeof ratchet;
          application: typeof ratchet;
        }[];
      }>({ leafCount: uint32, nodes: vector(node), leaves: vector(leaf) }),
      {
        leafCount: 4,
        nodes,
        leaves: leaves.map((l) => ({
          leaf: l,
          handshake: ratchet,
          application: ratchet,
        })),
      },
    );
  const s = new Uint8Array(32);
  // Distinct keys decode.
  const ok = decode(
    secretTreeStateCodec,
    state([{ node: 1, secret: s }, { node: 5, secret: s }], [0, 3]),
    "SecretTreeState",
  );
  assert.deepEqual([...ok.nodes.keys()], [1, 5]);
  assert.deepEqual([...ok.leaves.keys()], [0, 3]);
  assert.throws(
    () =>
      decode(
        secretTreeStateCodec,
        state([{ node: 1, secret: s }, { node: 1, secret: s }], []),
        "SecretTreeState",
      ),
    duplicate("SecretTreeState.nodes[1]"),
  );
  assert.throws(
    () =>
      decode(
        secretTreeStateCodec,
        state([], [2, 0, 2]),
        "SecretTreeState",
      ),
    duplicate("SecretTreeState.leaves[2]"),
  );
});
