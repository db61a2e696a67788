/**
 * Loading and saving a member's group state in {@link Storage}. The state
 * is kept in two records so that sending and receiving messages stays
 * cheap in large groups: the epoch's state (tree, secrets, proposals —
 * rewritten when the epoch or the proposal list changes) and the ratchets
 * (the secret trees of the current and retained epochs — rewritten after
 * every message, O(log n) in size).
 *
 * @module
 */

import {
  type Codec,
  decode,
  struct,
  uint64,
  uint8,
  vector,
} from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import {
  deserializeGroupState,
  serializeGroupState,
} from "../group/serialize.ts";
import type { GroupState } from "../group/state.ts";
import { SecretTree, type SecretTreeState } from "../schedule/secret_tree.ts";
import {
  secretTreeStateCodec,
  secretTreeStateSize,
} from "../schedule/secret_tree_codec.ts";
import { Writer } from "../codec/writer.ts";
import type {
  CryptoProvider,
  SignaturePrivateKey,
} from "../../providers/provider.ts";
import { utf8Encode } from "../util/bytes.ts";
import {
  getBytes,
  type Storage,
  type StorageWrite,
} from "./storage/storage.ts";

/** `ratchets/<groupId>/<clientId>` */
export const ratchetsKey = (groupId: string, clientId: string): string =>
  `ratchets/${groupId}/${clientId}`;

/** @internal */
export interface EpochRatchets {
  epoch: bigint;
  tree: SecretTreeState;
}

/** @internal */
export interface RatchetsRecord {
  version: number;
  trees: EpochRatchets[];
}

/** @internal The ratchets record (exported for tests). */
export const ratchetsCodec: Codec<RatchetsRecord> = struct<RatchetsRecord>({
  version: uint8,
  trees: vector(
    struct<EpochRatchets>({ epoch: uint64, tree: secretTreeStateCodec }),
  ),
});

/**
 * The write that stores the ratchets of `state`: done after every message,
 * so the record (the {@link ratchetsCodec} encoding) is written into one
 * buffer of its exact size, straight from the secret trees.
 */
export function ratchetsWrite(
  state: GroupState,
  groupId: string,
  clientId: string,
): StorageWrite {
  const trees: EpochRatchets[] = [
    {
      epoch: state.context.epoch,
      tree: state.secretTree.state as SecretTreeState,
    },
  ];
  for (const p of state.past) {
    trees.push({
      epoch: p.context.epoch,
      tree: p.secretTree.state as SecretTreeState,
    });
  }
  let body = 0;
  for (const t of trees) body += 8 + secretTreeStateSize(t.tree);
  const header = body < 0x40 ? 1 : body < 0x4000 ? 2 : 4;
  const w = new Writer(1 + header + body);
  w.u8(1);
  w.varint(body);
  for (const t of trees) {
    w.u64(t.epoch);
    secretTreeStateCodec.encode(w, t.tree);
  }
  return { key: ratchetsKey(groupId, clientId), value: w.finish() };
}

/** The writes that store all of `state` under `key`. */
export function stateWrites(
  state: GroupState,
  key: string,
  groupId: string,
  clientId: string,
): StorageWrite[] {
  return [
    {
      key,
      value: serializeGroupState(state, { signerRef: utf8Encode(clientId) }),
    },
    ratchetsWrite(state, groupId, clientId),
  ];
}

/** Loads a state stored by {@link stateWrites}, or `undefined`. */
export async function loadState(
  storage: Storage,
  provider: CryptoProvider,
  key: string,
  groupId: string,
  clientId: string,
  signer: SignaturePrivateKey,
): Promise<GroupState | undefined> {
  const bytes = await getBytes(storage, key);
  if (!bytes) return undefined;
  const state = await deserializeGroupState(bytes, provider, { signer });
  const r = await getBytes(storage, ratchetsKey(groupId, clientId));
  if (!r) return state;
  const rec = decode(ratchetsCodec, r, "Ratchets");
  if (rec.version !== 1) {
    throw new MlsError("unsupported_state_version", "unknown ratchets record");
  }
  const byEpoch = new Map(rec.trees.map((t) => [t.epoch, t.tree]));
  const limits = state.config;
  const tree = (epoch: bigint, fallback: SecretTree) => {
    const s = byEpoch.get(epoch);
    return s ? SecretTree.fromState(state.cs, s, limits) : fallback;
  };
  return {
    ...state,
    secretTree: tree(state.context.epoch, state.secretTree),
    past: state.past.map((p) => ({
      ...p,
      secretTree: tree(p.context.epoch, p.secretTree),
    })),
  };
}

/** Serializes a state without ratchet split (for pending commits). */
export function serializeWhole(
  state: GroupState,
  clientId: string,
): Uint8Array {
  return serializeGroupState(state, { signerRef: utf8Encode(clientId) });
}

/** Loads a state written by {@link serializeWhole}. */
export function deserializeWhole(
  bytes: Uint8Array,
  provider: CryptoProvider,
  signer: SignaturePrivateKey,
): Promise<GroupState> {
  return deserializeGroupState(bytes, provider, { signer });
}
