/**
 * Loading and saving a member's group state in {@link Storage}: what each
 * write stores and when. The records, their keys and layouts are in
 * `records.ts`; the state is kept in several so that sending and receiving
 * messages stays cheap in large groups:
 *
 * - the group record holds the epoch's state (secrets, proposals, a
 *   reference to its tree), rewritten when the epoch or the proposal list
 *   changes (a "full write");
 * - the base ratchets record holds the secret trees of the current and
 *   retained epochs, rewritten with every full write; after a message only
 *   the changed entries are written, as ratchet delta records of the base's
 *   generation: O(1) records for a sender already seen in the epoch,
 *   O(log n) when a sender's path is expanded. A full write stores a base
 *   of a new generation, which makes every delta record of older
 *   generations obsolete at once: loading ignores them, and they are
 *   deleted a few per later write ({@link MAX_STALE_DELETES}), so that no
 *   batch grows with the number of senders (Deno KV allows 100 keys per
 *   atomic write);
 * - the tree records hold the ratchet tree: a base tree record and a chain
 *   of tree delta records, each what one full write changed in the tree
 *   since the previous one. A full write stores a delta (nothing if the
 *   tree did not change) while the chain is shorter than
 *   {@link MAX_TREE_DELTAS} and its deltas total at most half the base,
 *   else a new base of generation `gen + 1`, which makes the deltas of
 *   older generations obsolete: loading ignores them, and full writes
 *   delete them, {@link MAX_TREE_STALE_DELETES} at a time. Loading reads
 *   the base and the deltas the group record names. A group record of
 *   format 1 or 2 (the tree inside) loads too; the next full write then
 *   stores a base.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import {
  deserializeGroupState,
  serializeGroupState,
  type TreeRef,
} from "../group/stored/serialize.ts";
import {
  applyTreeDelta,
  fromTreeBase,
  type StoredTree,
  storedTree,
  treeBaseWire,
  treeDelta,
} from "../group/stored/tree.ts";
import type { GroupState } from "../group/state.ts";
import {
  type LeafRatchets,
  SecretTree,
  type SecretTreeState,
} from "../schedule/secret_tree.ts";
import { root } from "../tree/tree_math.ts";
import {
  type BaseRatchetsRecord,
  decodeRatchetDelta,
  decodeTreeDelta,
  decodeTreeRecord,
  encodeLeafDelta,
  encodeNodeDelta,
  encodeRatchetsRecord,
  encodeTreeDelta,
  encodeTreeRecord,
  type EpochRatchets,
  MAX_GEN,
  parseRatchetDeltaKey,
  ratchetDeltaKey,
  type RatchetDeltaName,
  ratchetsCodec,
  ratchetsKey,
  ratchetsPrefix,
  treeDeltaGen,
  treeDeltaKey,
  treeKey,
  treePrefix,
} from "./records.ts";
import type {
  CryptoProvider,
  SignaturePrivateKey,
} from "../../providers/provider.ts";
import { utf8Encode, wipe } from "../util/bytes.ts";
import { decode } from "../codec/codec.ts";
import {
  getBytes,
  type Storage,
  type StorageWrite,
} from "./storage/storage.ts";

/**
 * How many current delta records a view lets accumulate before its next
 * ratchets write stores a whole base record instead (a new generation):
 * loading reads every current delta, so this bounds the reads of a load
 * while a message still writes only its deltas in between.
 */
export const MAX_DELTA_RECORDS = 512;

/**
 * How many obsolete delta records one write deletes at most, besides its
 * own records: keeps every batch within Deno KV's 100 keys.
 */
export const MAX_STALE_DELETES = 32;

/** The secret trees of `state` by epoch: the current one first. */
function treesOf(state: GroupState): Array<[bigint, SecretTree]> {
  return [
    [state.context.epoch, state.secretTree],
    ...state.past.map((p): [bigint, SecretTree] => [
      p.context.epoch,
      p.secretTree,
    ]),
  ];
}

/**
 * The write that stores the base ratchets record of `state`, into one
 * buffer of its exact size, straight from the secret trees. Without `gen`
 * it is a version 1 record (no deltas apply); with it, version 2. Clears
 * the trees' change records: the base holds everything.
 */
export function ratchetsWrite(
  state: GroupState,
  groupId: string,
  clientId: string,
  gen?: number,
): StorageWrite {
  const trees: EpochRatchets[] = [];
  for (const [epoch, t] of treesOf(state)) {
    t.takeChanges();
    trees.push({ epoch, tree: t.state as SecretTreeState });
  }
  return {
    key: ratchetsKey(groupId, clientId),
    value: encodeRatchetsRecord(trees, gen),
  };
}

/** The writes that store all of `state` under `key` (base of `gen`). */
export function stateWrites(
  state: GroupState,
  key: string,
  groupId: string,
  clientId: string,
  gen?: number,
  tree?: TreeRef,
): StorageWrite[] {
  return [
    {
      key,
      value: serializeGroupState(state, {
        signerRef: utf8Encode(clientId),
        ...(tree ? { tree: { ref: tree } } : {}),
      }),
    },
    ratchetsWrite(state, groupId, clientId, gen),
  ];
}

/**
 * The delta records of every entry of `state`'s secret trees changed since
 * they were last written (see the module notes), for generation `gen`;
 * takes the trees' change records.
 */
export function ratchetDeltaWrites(
  state: GroupState,
  groupId: string,
  clientId: string,
  gen: number,
): StorageWrite[] {
  const writes: StorageWrite[] = [];
  const prefix = ratchetsPrefix(groupId, clientId);
  for (const [epoch, t] of treesOf(state)) {
    const { leaves, nodes } = t.takeChanges();
    if (leaves.length === 0 && nodes.length === 0) continue;
    const s = t.state;
    for (const index of leaves) {
      writes.push({
        key: ratchetDeltaKey(prefix, { gen, epoch, kind: "l", index }),
        value: encodeLeafDelta(s.leaves.get(index)),
      });
    }
    for (const index of nodes) {
      writes.push({
        key: ratchetDeltaKey(prefix, { gen, epoch, kind: "n", index }),
        value: encodeNodeDelta(s.nodes.get(index)),
      });
    }
  }
  return writes;
}

/** @internal What is stored of a view's delta records. */
export interface DeltaKeys {
  /** The generation of the stored base record (0: version 1 or none). */
  gen: number;
  /** The highest generation found in storage (at least {@link gen}). */
  maxGen: number;
  /** Delta records of generation {@link gen}: they apply on the base. */
  current: Set<string>;
  /** Delta records of other generations: obsolete, to be deleted. */
  stale: Set<string>;
}

/**
 * Lists the delta records under `prefix`: those of generation `gen` are
 * current, any other is obsolete.
 */
export async function listDeltas(
  storage: Storage,
  groupId: string,
  clientId: string,
  gen: number,
): Promise<DeltaKeys> {
  const prefix = ratchetsPrefix(groupId, clientId);
  const out: DeltaKeys = {
    gen,
    maxGen: gen,
    current: new Set(),
    stale: new Set(),
  };
  for (const key of await storage.list(prefix)) {
    const d = parseRatchetDeltaKey(prefix, key);
    (d.gen === gen ? out.current : out.stale).add(key);
    if (d.gen > out.maxGen) out.maxGen = d.gen;
  }
  return out;
}

/** The generation after `d.maxGen`, for the next full write. */
export function nextGen(d: DeltaKeys): number {
  if (d.maxGen >= MAX_GEN) {
    throw new MlsError("storage_limit", "ratchet generations exhausted");
  }
  return d.maxGen + 1;
}

function wipeLeaf(l: LeafRatchets): void {
  for (const r of [l.handshake, l.application]) {
    wipe(r.secret);
    for (const kn of r.skipped.values()) {
      wipe(kn.key);
      wipe(kn.nonce);
    }
  }
}

/** Applies one delta record (its value `bytes`, wiped) to `tree`. */
function applyDelta(
  tree: SecretTreeState,
  d: RatchetDeltaName,
  bytes: Uint8Array,
): void {
  const field = "RatchetDelta";
  try {
    if (d.kind === "l") {
      if (d.index >= tree.leafCount) {
        throw new MlsError("invalid_leaf_index", "leaf outside tree", field);
      }
      const v = decodeRatchetDelta("l", bytes) as LeafRatchets | undefined;
      const old = tree.leaves.get(d.index);
      if (old) wipeLeaf(old);
      if (v) tree.leaves.set(d.index, v);
      else tree.leaves.delete(d.index);
    } else {
      if (d.index > 2 * root(tree.leafCount)) {
        throw new MlsError("invalid_value", "node outside tree", field);
      }
      const v = decodeRatchetDelta("n", bytes) as Uint8Array | undefined;
      const old = tree.nodes.get(d.index);
      if (old) wipe(old);
      if (v) tree.nodes.set(d.index, v);
      else tree.nodes.delete(d.index);
    }
  } finally {
    wipe(bytes);
  }
}

/**
 * @internal Applies the delta record `key` (under `prefix`) of value
 * `bytes` (wiped) to the tree of its epoch in `trees`.
 */
export function applyRatchetDelta(
  trees: Map<bigint, SecretTreeState>,
  prefix: string,
  key: string,
  bytes: Uint8Array,
): void {
  const d = parseRatchetDeltaKey(prefix, key);
  const tree = trees.get(d.epoch);
  if (!tree) {
    wipe(bytes);
    throw new MlsError(
      "invalid_value",
      `ratchet delta for epoch ${d.epoch}, not in the state`,
      "RatchetDelta.epoch",
    );
  }
  applyDelta(tree, d, bytes);
}

/** A state loaded by {@link loadState} and what is stored of its deltas. */
export interface LoadedState {
  /** The group state, its secret trees up to date. */
  state: GroupState;
  /** The delta records found. */
  deltas: DeltaKeys;
  /** The stored tree records (version 3 state), or none (older ones). */
  tree: TreeChain | undefined;
  /** Tree delta records of other generations: obsolete, to delete. */
  staleTree: string[];
}

/**
 * Loads a state stored by {@link stateWrites} and the delta records of its
 * generation ({@link ratchetDeltaWrites}), or `undefined`. A state stored
 * without a ratchets record, or with a version 1 one, loads too.
 */
export async function loadState(
  storage: Storage,
  provider: CryptoProvider,
  key: string,
  groupId: string,
  clientId: string,
  signer: SignaturePrivateKey,
): Promise<LoadedState | undefined> {
  const bytes = await getBytes(storage, key);
  if (!bytes) return undefined;
  let chain: TreeChain | undefined;
  const state = await deserializeGroupState(bytes, provider, {
    signer,
    tree: async (ref) => {
      if (!ref) {
        throw new MlsError(
          "invalid_state_format",
          "a group record refers to no tree",
          "GroupState.tree",
        );
      }
      chain = await loadTree(storage, groupId, clientId, ref);
      return chain.tree;
    },
  });
  const r = await getBytes(storage, ratchetsKey(groupId, clientId));
  let rec: BaseRatchetsRecord | undefined;
  if (r) {
    try {
      rec = decode(ratchetsCodec, r, "Ratchets");
    } finally {
      wipe(r);
    }
  }
  const deltas = await listDeltas(storage, groupId, clientId, rec?.gen ?? 0);
  // The tree state of each epoch: the base record's, else the group record's.
  const base = new Map(rec?.trees.map((t) => [t.epoch, t.tree]));
  const trees = new Map<bigint, SecretTreeState>();
  for (const [epoch, t] of treesOf(state)) {
    trees.set(epoch, base.get(epoch) ?? t.state as SecretTreeState);
    base.delete(epoch);
  }
  for (const t of base.values()) wipeTreeState(t);
  const keys = [...deltas.current];
  const values = await Promise.all(keys.map((k) => getBytes(storage, k)));
  const prefix = ratchetsPrefix(groupId, clientId);
  try {
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      if (v) applyRatchetDelta(trees, prefix, keys[i], v); // else deleted
    }
  } finally {
    for (const v of values) if (v) wipe(v);
  }
  const limits = state.config;
  const tree = (epoch: bigint, loaded: SecretTree) => {
    const s = trees.get(epoch)!;
    if (s === loaded.state) return loaded;
    loaded.wipe(); // replaced by the ratchets record's
    return SecretTree.fromState(state.cs, s, limits);
  };
  return {
    state: {
      ...state,
      secretTree: tree(state.context.epoch, state.secretTree),
      past: state.past.map((p) => ({
        ...p,
        secretTree: tree(p.context.epoch, p.secretTree),
      })),
    },
    deltas,
    tree: chain,
    staleTree: await staleTreeDeltas(storage, groupId, clientId, chain),
  };
}

function wipeTreeState(t: SecretTreeState): void {
  for (const v of t.nodes.values()) wipe(v);
  for (const l of t.leaves.values()) wipeLeaf(l);
}

/**
 * Serializes a state without ratchet split (for pending commits). With
 * `base` (the stored state the pending commit was made on), the tree is
 * stored as a delta against `base`'s tree (format 3): what the commit
 * changed, not the whole tree.
 */
export function serializeWhole(
  state: GroupState,
  clientId: string,
  base?: GroupState,
): Uint8Array {
  return serializeGroupState(state, {
    signerRef: utf8Encode(clientId),
    ...(base ? { tree: { base: storedTree(base.cs, base.tree) } } : {}),
  });
}

/**
 * Loads a state written by {@link serializeWhole}; `base` is the stored
 * state it was made on, whose tree a format 3 state's tree applies to.
 */
export function deserializeWhole(
  bytes: Uint8Array,
  provider: CryptoProvider,
  signer: SignaturePrivateKey,
  base?: GroupState,
): Promise<GroupState> {
  return deserializeGroupState(bytes, provider, {
    signer,
    tree: (ref) => {
      if (ref || !base) {
        throw new MlsError(
          "invalid_state_format",
          "a pending state's tree must be a delta against the current one",
          "GroupState.tree",
        );
      }
      return storedTree(base.cs, base.tree);
    },
  });
}

// ---- tree records ---------------------------------------------------------

/**
 * How many tree delta records a state's tree may have on top of its base
 * record: a full write past it stores a new base. Loading reads at most
 * this many deltas.
 */
export const MAX_TREE_DELTAS = 64;

/**
 * How many obsolete tree delta records (of older generations) one full
 * write deletes at most: with the ratchets' deletions, every batch stays
 * within Deno KV's 100 keys.
 */
export const MAX_TREE_STALE_DELETES = 16;

/** What is stored of a state's tree: a base record and a chain of deltas. */
export interface TreeChain {
  /** The base record's generation. */
  gen: number;
  /** How many delta records apply on it (`<gen>/1` ... `<gen>/<seq>`). */
  seq: number;
  /** The tree they make. */
  tree: StoredTree;
  /** Size of the base record. */
  baseBytes: number;
  /** Total size of the delta records. */
  deltaBytes: number;
}

function missing(what: string): MlsError {
  return new MlsError(
    "invalid_state_format",
    `the state's ${what} is missing or of another generation`,
    "GroupState.tree",
  );
}

/**
 * Loads the tree a version 3 group record refers to: its base record and
 * its `ref.seq` delta records, a bounded number of reads.
 */
export async function loadTree(
  storage: Storage,
  groupId: string,
  clientId: string,
  ref: TreeRef,
): Promise<TreeChain> {
  const keys = [treeKey(groupId, clientId)];
  for (let k = 1; k <= ref.seq; k++) {
    keys.push(treeDeltaKey(groupId, clientId, ref.gen, k));
  }
  const values = await Promise.all(keys.map((k) => getBytes(storage, k)));
  const base = values[0];
  if (!base) throw missing("tree record");
  const rec = decodeTreeRecord(base);
  if (rec.gen !== ref.gen) throw missing("tree record");
  let tree = fromTreeBase(rec.base);
  let deltaBytes = 0;
  for (let k = 1; k <= ref.seq; k++) {
    const v = values[k];
    if (!v) throw missing(`tree delta ${k}`);
    deltaBytes += v.length;
    const field = `TreeDelta[${k}]`;
    tree = applyTreeDelta(tree, decodeTreeDelta(v, field), field);
  }
  return { ...ref, tree, baseBytes: base.length, deltaBytes };
}

/** The tree records a full write of `state` stores, and what they make. */
export interface TreeWrites {
  /** The writes (a delta record, or a base record and deletions). */
  writes: StorageWrite[];
  /** What the group record refers to. */
  ref: TreeRef;
  /** The chain once stored. */
  next: TreeChain;
  /** Delta records made obsolete (by a new base), to delete later. */
  obsolete: string[];
}

/**
 * The writes that store `state`'s tree on top of `chain`: a delta record of
 * what changed (nothing when nothing did) while the chain stays short and
 * its deltas under half its base; else a base record of the generation
 * after `chain`'s (or `gen`), which makes `chain`'s deltas obsolete.
 */
export function treeWrites(
  state: GroupState,
  groupId: string,
  clientId: string,
  chain: TreeChain | undefined,
  gen: number,
): TreeWrites {
  if (chain && chain.seq < MAX_TREE_DELTAS) {
    const { delta, next } = treeDelta(state.cs, chain.tree, state.tree);
    const same = delta.hashes.length === 0 &&
      next.nodes.length === chain.tree.nodes.length &&
      delta.tree.length === 1 && delta.tree[0].kind === 1;
    if (same) {
      return {
        writes: [],
        ref: { gen: chain.gen, seq: chain.seq },
        next: chain,
        obsolete: [],
      };
    }
    const value = encodeTreeDelta(delta);
    if (2 * (chain.deltaBytes + value.length) <= chain.baseBytes) {
      const seq = chain.seq + 1;
      return {
        writes: [{
          key: treeDeltaKey(groupId, clientId, chain.gen, seq),
          value,
        }],
        ref: { gen: chain.gen, seq },
        next: {
          ...chain,
          seq,
          tree: next,
          deltaBytes: chain.deltaBytes + value.length,
        },
        obsolete: [],
      };
    }
  }
  const g = chain ? (chain.gen + 1) % 0x100000000 : gen;
  const tree = storedTree(state.cs, state.tree);
  const value = encodeTreeRecord({ gen: g, base: treeBaseWire(tree) });
  const obsolete: string[] = [];
  for (let k = 1; chain && k <= chain.seq; k++) {
    obsolete.push(treeDeltaKey(groupId, clientId, chain.gen, k));
  }
  return {
    writes: [{ key: treeKey(groupId, clientId), value }],
    ref: { gen: g, seq: 0 },
    next: { gen: g, seq: 0, tree, baseBytes: value.length, deltaBytes: 0 },
    obsolete,
  };
}

/** The tree delta records stored of other generations than `chain`'s. */
async function staleTreeDeltas(
  storage: Storage,
  groupId: string,
  clientId: string,
  chain: TreeChain | undefined,
): Promise<string[]> {
  const prefix = treePrefix(groupId, clientId);
  return (await storage.list(prefix)).filter((k) =>
    treeDeltaGen(prefix, k) !== chain?.gen
  );
}
