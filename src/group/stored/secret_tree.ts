/**
 * The codec of a secret tree's state ({@link SecretTreeState}, RFC 9420
 * §9) and of one leaf's ratchets (`LeafRatchets`), for storing a group's
 * state; layouts in `format.ts`. The encoder writes straight from the
 * state's maps, sized first (the ratchets are stored after every message).
 *
 * @module
 */

import {
  type Codec,
  opaque,
  struct,
  uint32,
  vector,
} from "../../codec/codec.ts";
import type { Writer } from "../../codec/writer.ts";
import { MlsError } from "../../errors.ts";
import { root } from "../../tree/tree_math.ts";
import type {
  HashRatchetState,
  LeafRatchets,
  RatchetKeyNonce,
  SecretTreeState,
} from "../../schedule/secret_tree.ts";
import { uniqueMap } from "./unique_map.ts";

interface SkippedWire extends RatchetKeyNonce {
  generation: number;
}

const skippedCodec = struct<SkippedWire>({
  generation: uint32,
  key: opaque,
  nonce: opaque,
});

interface RatchetWire {
  generation: number;
  secret: Uint8Array;
  skipped: SkippedWire[];
}

const ratchetWire = struct<RatchetWire>({
  generation: uint32,
  secret: opaque,
  skipped: vector(skippedCodec),
});

const ratchetCodec: Codec<HashRatchetState> = {
  encode: (w, r) =>
    ratchetWire.encode(w, {
      generation: r.generation,
      secret: r.secret,
      skipped: Array.from(
        r.skipped,
        ([generation, kn]) => ({ generation, key: kn.key, nonce: kn.nonce }),
      ),
    }),
  decode: (r, f) => {
    const w = ratchetWire.decode(r, f);
    const skipped = new Map<number, RatchetKeyNonce>();
    let last = -1;
    for (const s of w.skipped) {
      if (s.generation <= last || s.generation >= w.generation) {
        throw new MlsError(
          "invalid_value",
          "skipped generations out of order",
          `${f}.skipped`,
        );
      }
      last = s.generation;
      skipped.set(s.generation, { key: s.key, nonce: s.nonce });
    }
    return { generation: w.generation, secret: w.secret, skipped };
  },
};

interface NodeWire {
  node: number;
  secret: Uint8Array;
}

interface LeafWire extends LeafRatchets {
  leaf: number;
}

interface StateWire {
  leafCount: number;
  nodes: Map<number, Uint8Array>;
  leaves: Map<number, LeafRatchets>;
}

const stateWire = struct<StateWire>({
  leafCount: uint32,
  nodes: uniqueMap(
    struct<NodeWire>({ node: uint32, secret: opaque }),
    (n) => [n.node, n.secret],
    (node, secret) => ({ node, secret }),
  ),
  leaves: uniqueMap(
    struct<LeafWire>({
      leaf: uint32,
      handshake: ratchetCodec,
      application: ratchetCodec,
    }),
    (l) => [l.leaf, { handshake: l.handshake, application: l.application }],
    (leaf, r) => ({
      leaf,
      handshake: r.handshake,
      application: r.application,
    }),
  ),
});

/** The generic codec; its encoder is the reference for the one below. */
const genericCodec: Codec<SecretTreeState> = {
  encode: stateWire.encode,
  decode: (r, f) => {
    const w = stateWire.decode(r, f);
    if (w.leafCount < 1) {
      throw new MlsError("invalid_value", "no leaves", `${f}.leafCount`);
    }
    for (const node of w.nodes.keys()) {
      if (node > 2 * root(w.leafCount)) {
        throw new MlsError("invalid_value", "node outside tree", `${f}.nodes`);
      }
    }
    for (const leaf of w.leaves.keys()) {
      if (leaf >= w.leafCount) {
        throw new MlsError(
          "invalid_leaf_index",
          "leaf outside tree",
          `${f}.leaves`,
        );
      }
    }
    return w;
  },
};

function varintSize(n: number): number {
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4;
}

function opaqueSize(b: Uint8Array): number {
  return varintSize(b.length) + b.length;
}

function skippedSize(r: HashRatchetState): number {
  let n = 0;
  for (const kn of r.skipped.values()) {
    n += 4 + opaqueSize(kn.key) + opaqueSize(kn.nonce);
  }
  return n;
}

function ratchetSize(r: HashRatchetState): number {
  const skipped = skippedSize(r);
  return 4 + opaqueSize(r.secret) + varintSize(skipped) + skipped;
}

function nodesSize(s: SecretTreeState): number {
  let n = 0;
  for (const v of s.nodes.values()) n += 4 + opaqueSize(v);
  return n;
}

function leavesSize(s: SecretTreeState): number {
  let n = 0;
  for (const l of s.leaves.values()) {
    n += 4 + ratchetSize(l.handshake) + ratchetSize(l.application);
  }
  return n;
}

/**
 * The length of the encoding of `s`, exactly: lets a caller size its
 * {@link Writer} once (the ratchets are stored after every message).
 */
export function secretTreeStateSize(s: Readonly<SecretTreeState>): number {
  const nodes = nodesSize(s), leaves = leavesSize(s);
  return 4 + varintSize(nodes) + nodes + varintSize(leaves) + leaves;
}

function writeRatchet(w: Writer, r: HashRatchetState): void {
  w.u32(r.generation);
  w.opaque(r.secret);
  w.varint(skippedSize(r));
  for (const [g, kn] of r.skipped) {
    w.u32(g);
    w.opaque(kn.key);
    w.opaque(kn.nonce);
  }
}

/**
 * Writes `s` as {@link secretTreeStateCodec} does, straight from its maps:
 * vector lengths are computed first, so nothing is shifted and no
 * intermediate arrays are built.
 */
function writeSecretTreeState(w: Writer, s: Readonly<SecretTreeState>): void {
  w.u32(s.leafCount);
  w.varint(nodesSize(s));
  for (const [i, v] of s.nodes) {
    w.u32(i);
    w.opaque(v);
  }
  w.varint(leavesSize(s));
  for (const [i, l] of s.leaves) {
    w.u32(i);
    writeRatchet(w, l.handshake);
    writeRatchet(w, l.application);
  }
}

/** The length of the {@link leafRatchetsCodec} encoding of `l`. */
export function leafRatchetsSize(l: Readonly<LeafRatchets>): number {
  return ratchetSize(l.handshake) + ratchetSize(l.application);
}

/**
 * The codec of one leaf's ratchets, without the leaf index (layout in the
 * module notes): the same ratchet encoding as in a whole state.
 */
export const leafRatchetsCodec: Codec<LeafRatchets> = {
  encode: (w, l) => {
    writeRatchet(w, l.handshake);
    writeRatchet(w, l.application);
  },
  decode: struct<LeafRatchets>({
    handshake: ratchetCodec,
    application: ratchetCodec,
  }).decode,
};

/** The codec of a {@link SecretTreeState} (layout in the module notes). */
export const secretTreeStateCodec: Codec<SecretTreeState> = {
  encode: writeSecretTreeState,
  decode: genericCodec.decode,
};

/** @internal The generic encoder, for tests comparing the two. */
export const secretTreeStateReferenceCodec: Codec<SecretTreeState> =
  genericCodec;
