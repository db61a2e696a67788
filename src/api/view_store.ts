/**
 * Where one member's state of one group is stored, and the bookkeeping of
 * its ratchet delta records (the records are in `records.ts`, what a write
 * stores in `persist.ts`): which records are current, which are obsolete
 * and still to delete, and when a message must write a whole base record
 * instead of its deltas. Every batch also
 * rewrites the head record and expects the token this store last read or
 * wrote (see `writer_guard.ts`).
 *
 * @module
 */

import type { GroupState } from "../group/state.ts";
import { wipe } from "../util/bytes.ts";
import {
  type DeltaKeys,
  listDeltas,
  MAX_STALE_DELETES,
  MAX_TREE_STALE_DELETES,
  nextGen,
  ratchetDeltaWrites,
  ratchetsWrite,
  stateWrites,
  type TreeChain,
  treeWrites,
} from "./persist.ts";
import {
  groupKey,
  headKey,
  pendingKey,
  ratchetsKey,
  ratchetsPrefix,
  treeDeltaGen,
  treeKey,
  treePrefix,
} from "./records.ts";
import {
  getBytes,
  type Storage,
  type StorageCondition,
  type StorageWrite,
} from "./storage/storage.ts";
import { newToken, sameToken } from "./writer_guard.ts";

/** The writes of one change and the bookkeeping to do once they are stored. */
export interface Writes {
  /** The writes, to apply in one atomic batch. */
  writes: StorageWrite[];
  /** To call once the batch is stored. */
  stored(): void;
}

/** The storage keys of one member's state of one group. */
export interface ViewKeys {
  /** The epoch's state. */
  group: string;
  /** The pending commit. */
  pending: string;
  /** The base ratchets record. */
  ratchets: string;
  /** The prefix of the ratchet delta records. */
  deltas: string;
  /** The head record: a token rewritten by every write. */
  head: string;
  /** The base tree record. */
  tree: string;
  /** The prefix of the tree delta records. */
  treeDeltas: string;
}

/** Up to `n` keys of `from`, oldest first. */
function some(from: Set<string>, n: number): string[] {
  const out: string[] = [];
  for (const k of from) {
    if (out.length >= n) break;
    out.push(k);
  }
  return out;
}

/** Deno KV's limit on the keys of one atomic batch. */
const BATCH_KEYS = 100;

/** One member's stored state of one group. */
export class ViewStore {
  /** Where the records of this state are stored. */
  readonly keys: ViewKeys;
  readonly #storage: Storage;
  readonly #groupId: string;
  readonly #clientId: string;
  readonly #ratchetRecordLimit: number;
  readonly #deltas: DeltaKeys;
  /** The head token last read or written (undefined: none stored). */
  #token: Uint8Array | undefined;
  /** The next batch stores a new state: it expects no group record. */
  #expectNoState: boolean;
  /** The stored tree records (undefined: none yet, an older format). */
  #tree: TreeChain | undefined;
  /** Tree deltas an earlier state of the group left, to delete. */
  #staleTree: string[];
  /** The generation of the first base tree record, when there is none. */
  #firstTreeGen: number;

  /**
   * @param storage the backend
   * @param groupId the group id, hex
   * @param clientId the member's client id
   * @param limit `MLSOptions.ratchetRecordLimit`
   * @param deltas the stored delta records (from `loadState` or
   *   {@link ViewStore.open})
   * @param token the head token read with the state
   * @param fresh whether the next batch stores a state where none is
   * @param tree the stored tree records (from `loadState`)
   * @param staleTree tree deltas an earlier state left, and the highest
   *   generation among them
   */
  constructor(
    storage: Storage,
    groupId: string,
    clientId: string,
    limit: number,
    deltas: DeltaKeys,
    token: Uint8Array | undefined,
    fresh = false,
    tree?: TreeChain,
    staleTree: { keys: string[]; maxGen: number } = { keys: [], maxGen: 0 },
  ) {
    this.#tree = tree;
    this.#staleTree = staleTree.keys;
    this.#firstTreeGen = (staleTree.maxGen + 1) % 0x100000000;
    this.#storage = storage;
    this.#groupId = groupId;
    this.#clientId = clientId;
    this.#ratchetRecordLimit = limit;
    this.#deltas = deltas;
    this.#token = token;
    this.#expectNoState = fresh;
    this.keys = {
      group: groupKey(groupId, clientId),
      pending: pendingKey(groupId, clientId),
      ratchets: ratchetsKey(groupId, clientId),
      deltas: ratchetsPrefix(groupId, clientId),
      head: headKey(groupId, clientId),
      tree: treeKey(groupId, clientId),
      treeDeltas: treePrefix(groupId, clientId),
    };
  }

  /**
   * The store of a group about to be stored afresh (create, join; or,
   * with `replace`, an external join over an earlier state of the group):
   * delta records an earlier state left become obsolete at its first full
   * write. Without `replace` the first batch expects no state to be stored
   * (`storage_conflict` otherwise); with it, the state stored now.
   */
  static async open(
    storage: Storage,
    groupId: string,
    clientId: string,
    limit: number,
    replace = false,
  ): Promise<ViewStore> {
    const token = replace
      ? await getBytes(storage, headKey(groupId, clientId))
      : undefined;
    const deltas = await listDeltas(storage, groupId, clientId, 0);
    const prefix = treePrefix(groupId, clientId);
    const keys = await storage.list(prefix);
    let maxGen = 0;
    for (const k of keys) {
      const gen = treeDeltaGen(prefix, k);
      if (gen > maxGen) maxGen = gen;
    }
    return new ViewStore(
      storage,
      groupId,
      clientId,
      limit,
      deltas,
      token,
      !replace,
      undefined,
      { keys, maxGen: Math.min(maxGen, 0xfffffffe) },
    );
  }

  /**
   * Whether the stored head is still the token this store last read or
   * wrote: no other view has written since.
   */
  async isCurrent(): Promise<boolean> {
    return sameToken(
      await getBytes(this.#storage, this.keys.head),
      this.#token,
    );
  }

  /**
   * Applies `writes` atomically with a new head token, if the head is still
   * the token this store knows (on a storage with conditional batches;
   * else `storage_conflict` and nothing written), then wipes their
   * secret-bearing values.
   */
  async batch(writes: StorageWrite[]): Promise<void> {
    const token = newToken();
    const expect: StorageCondition[] = [
      { key: this.keys.head, value: this.#token },
    ];
    if (this.#expectNoState) expect.push({ key: this.keys.group });
    try {
      await this.#storage.batch(
        [...writes, { key: this.keys.head, value: token.slice() }],
        { expect },
      );
      this.#token = token;
      this.#expectNoState = false;
    } finally {
      for (const w of writes) {
        if (
          w.value instanceof Uint8Array &&
          (w.key === this.keys.ratchets || w.key.startsWith(this.keys.deltas))
        ) {
          wipe(w.value);
        }
      }
    }
  }

  /** The writes that store all of `state` (a new epoch, proposals...). */
  fullWrites(state: GroupState): Writes {
    const gen = nextGen(this.#deltas);
    const t = treeWrites(
      state,
      this.#groupId,
      this.#clientId,
      this.#tree,
      this.#firstTreeGen,
    );
    const stale = this.#staleTree.slice(0, MAX_TREE_STALE_DELETES);
    const w = this.#withNewGeneration(
      [
        ...stateWrites(
          state,
          this.keys.group,
          this.#groupId,
          this.#clientId,
          gen,
          t.ref,
        ),
        ...t.writes,
        ...stale.map((key) => ({ key })),
      ],
      gen,
    );
    return {
      writes: w.writes,
      stored: () => {
        w.stored();
        const prefix = this.keys.treeDeltas;
        this.#tree = t.next;
        // Keys of the new generation (none but after a wrap) are current.
        this.#staleTree = [
          ...this.#staleTree.slice(stale.length),
          ...t.obsolete,
        ]
          .filter((k) => treeDeltaGen(prefix, k) !== t.next.gen);
      },
    };
  }

  /**
   * The writes that store the ratchets of `state` (the current state): the
   * delta records of what changed since they were last stored, plus the
   * deletion of a few obsolete ones. Once `ratchetRecordLimit` deltas are
   * current, a whole base record of a new generation instead.
   */
  ratchetWrites(state: GroupState): Writes {
    const d = this.#deltas;
    if (d.current.size >= this.#ratchetRecordLimit) {
      const gen = nextGen(d);
      return this.#withNewGeneration(
        [ratchetsWrite(state, this.#groupId, this.#clientId, gen)],
        gen,
      );
    }
    const writes = ratchetDeltaWrites(
      state,
      this.#groupId,
      this.#clientId,
      d.gen,
    );
    const obsolete = some(d.stale, MAX_STALE_DELETES);
    return {
      writes: [...writes, ...obsolete.map((key) => ({ key }))],
      stored: () => {
        for (const w of writes) d.current.add(w.key);
        for (const k of obsolete) d.stale.delete(k);
      },
    };
  }

  /**
   * Deletes everything stored under the keys: the state (and its head, so
   * that every other view of it finds it gone) with the first delta records
   * in one batch, then `afterFirst`, then the other delta records (beyond a
   * batch's key limit) in further batches; any left by a failure there are
   * obsolete for a later state of the group.
   */
  async deleteAll(afterFirst: () => void): Promise<void> {
    const deltas = [
      ...await this.#storage.list(this.keys.deltas),
      ...await this.#storage.list(this.keys.treeDeltas),
    ];
    const first = BATCH_KEYS - 5;
    await this.#storage.batch([
      { key: this.keys.group },
      { key: this.keys.pending },
      { key: this.keys.ratchets },
      { key: this.keys.tree },
      { key: this.keys.head },
      ...deltas.slice(0, first).map((key) => ({ key })),
    ]);
    afterFirst();
    for (let i = first; i < deltas.length; i += BATCH_KEYS) {
      await this.#storage.batch(
        deltas.slice(i, i + BATCH_KEYS).map((key) => ({ key })),
      );
    }
  }

  /**
   * `writes` store a base ratchets record of generation `gen`: every delta
   * record stored so far becomes obsolete; a few are deleted with it.
   */
  #withNewGeneration(writes: StorageWrite[], gen: number): Writes {
    const d = this.#deltas;
    const obsolete = some(d.stale, MAX_STALE_DELETES);
    obsolete.push(...some(d.current, MAX_STALE_DELETES - obsolete.length));
    return {
      writes: [...writes, ...obsolete.map((key) => ({ key }))],
      stored: () => {
        for (const k of d.current) d.stale.add(k);
        d.current.clear();
        for (const k of obsolete) d.stale.delete(k);
        d.gen = d.maxGen = gen;
      },
    };
  }
}
