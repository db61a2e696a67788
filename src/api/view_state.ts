/**
 * The state behind a `GroupView`: one member's state of one group in
 * memory, kept in step with storage. A change is persisted atomically and
 * only then swapped in; what is replaced is wiped (forward secrecy). A
 * failed write drops what is in memory (it may be ahead of the storage),
 * and the next call reloads the stored state; so does a call after another
 * view of the member wrote (see `writer_guard.ts`).
 *
 * @module
 */

import type { CreatedCommit } from "../group/commit.ts";
import type { GroupState } from "../group/state.ts";
import { MlsError } from "../errors.ts";
import type { SignaturePrivateKey } from "../../providers/provider.ts";
import { commitOutput } from "./outputs.ts";
import {
  type PendingCommit,
  pendingCommit,
  pendingWrite,
} from "./pending_commit.ts";
import { retireState } from "./retire.ts";
import { storageError } from "./storage/guarded.ts";
import type { StorageWrite } from "./storage/storage.ts";
import { loadViewParts, retireParts, type ViewParts } from "./stored_view.ts";
import type { CommitOutput } from "./types.ts";
import type { ViewEnvironment } from "./view_environment.ts";
import type { ViewStore } from "./view_store.ts";
import { lostToAnotherWriter, type TurnTaker } from "./writer_guard.ts";

/**
 * One member's state of one group, swapped only once stored.
 *
 * @example
 * ```ts ignore
 * const live = new ViewState(env, groupId, clientId, signer, parts);
 * await live.storeState(clearProposals(live.state), live.pending);
 * ```
 */
export class ViewState implements TurnTaker {
  /** The group id, hex. */
  readonly groupId: string;
  /** The member's client id. */
  readonly clientId: string;
  readonly #env: ViewEnvironment;
  readonly #signer: SignaturePrivateKey;
  #state: GroupState;
  #pending: PendingCommit | undefined;
  #store: ViewStore;
  #deleted = false;
  /**
   * A write failed: what is held in memory was dropped (it may be ahead
   * of the storage), and the next call reloads the stored state.
   */
  #stale = false;

  /** The state of `parts`, `clientId`'s of `groupId`. */
  constructor(
    env: ViewEnvironment,
    groupId: string,
    clientId: string,
    signer: SignaturePrivateKey,
    parts: ViewParts,
  ) {
    this.#env = env;
    this.groupId = groupId;
    this.clientId = clientId;
    this.#signer = signer;
    this.#state = parts.state;
    this.#pending = parts.pending;
    this.#store = parts.store;
  }

  /** The current epoch's state. */
  get state(): GroupState {
    return this.#state;
  }

  /** Our commit that awaits confirmation, if any. */
  get pending(): PendingCommit | undefined {
    return this.#pending;
  }

  /** Before each call: fails if deleted; reloads if stale or outdated. */
  async prepare(): Promise<void> {
    if (this.#deleted) {
      throw new MlsError("group_deleted", "this group's state was deleted");
    }
    if (this.#stale || !(await this.#store.isCurrent())) await this.#reload();
  }

  /** Whether a call failed with `e` because another view wrote first. */
  lostToAnotherWriter(e: unknown): Promise<boolean> {
    if (this.#deleted) return Promise.resolve(false);
    return lostToAnotherWriter(e, this.#stale, () => this.#store.isCurrent());
  }

  /**
   * Writes, then (once stored) does the bookkeeping of `stored` and swaps.
   * On a failure (another view's write won, or the storage failed) nothing
   * of `next` is kept, and every state held is wiped: the next call
   * reloads the stored one (which has none of the ratchet steps taken in
   * memory). The public parts (epoch, members) stay readable until then.
   */
  async #persist(
    writes: StorageWrite[],
    next: GroupState,
    pending: PendingCommit | undefined,
    stored?: () => void,
  ): Promise<void> {
    try {
      await this.#store.batch(writes);
    } catch (e) {
      this.#stale = true;
      const states = [this.#state, this.#pending?.state, next, pending?.state];
      for (const s of new Set(states)) if (s) retireState(s);
      throw storageError(e, "batch");
    }
    stored?.();
    const old = this.#state;
    this.#state = next;
    if (old !== next) retireState(old, next);
    this.#pending = pending;
  }

  /** Stores all of `next` and `pending` and swaps them in. */
  async storeState(
    next: GroupState,
    pending: PendingCommit | undefined,
  ): Promise<void> {
    const w = this.#store.fullWrites(next);
    const writes = [...w.writes];
    if (pending && pending !== this.#pending) {
      writes.push(pendingWrite(this.#store.keys.pending, pending));
    }
    await this.#persist(writes, next, pending, w.stored);
  }

  /**
   * Stores `next`, the state of a new epoch, which voids our pending
   * commit (another commit won the epoch), and wipes that.
   */
  async enterEpoch(next: GroupState): Promise<void> {
    const lost = this.#pending;
    const w = this.#store.fullWrites(next);
    const writes = [...w.writes, { key: this.#store.keys.pending }];
    await this.#persist(writes, next, undefined, w.stored);
    if (lost && lost.state !== next) retireState(lost.state, next);
  }

  /** Persists only the ratchets (after sending or receiving data). */
  saveRatchets(): Promise<void> {
    const w = this.#store.ratchetWrites(this.#state);
    return this.#persist(w.writes, this.#state, this.#pending, w.stored);
  }

  /**
   * Stores `c`, made on `base` (the current state, or one with a proposal
   * just received), as our pending commit, with `base`.
   */
  async holdPending(
    base: GroupState,
    c: CreatedCommit,
  ): Promise<CommitOutput> {
    const out = commitOutput(c, base);
    const pending = pendingCommit(base, c, out, this.clientId);
    // The commit consumed a handshake key of the current epoch: save the
    // ratchets with the pending record.
    const w = base === this.#state
      ? this.#store.ratchetWrites(base)
      : this.#store.fullWrites(base);
    await this.#persist(
      [...w.writes, pendingWrite(this.#store.keys.pending, pending)],
      base,
      pending,
      w.stored,
    );
    return out;
  }

  /** Drops our pending commit, if any, and wipes its state. */
  async clearPending(): Promise<void> {
    const p = this.#pending;
    if (!p) return;
    const writes = [{ key: this.#store.keys.pending }];
    await this.#persist(writes, this.#state, undefined);
    retireState(p.state, this.#state);
  }

  /** Deletes everything stored of the state (see `ViewStore.deleteAll`). */
  deleteAll(): Promise<void> {
    return this.#store.deleteAll(() => this.#forget());
  }

  /**
   * Replaces the in-memory state with the stored one and wipes the
   * replaced states, which share nothing with what is loaded. If nothing
   * is stored any more (another view deleted it), this is deleted too:
   * `group_deleted`. If the storage fails, it stays as it was (stale if it
   * was), and the error goes up.
   */
  async #reload(): Promise<void> {
    const { groupId, clientId } = this;
    const fresh = await loadViewParts(
      this.#env,
      groupId,
      clientId,
      this.#signer,
    );
    if (!fresh) {
      this.#forget();
      throw new MlsError("group_deleted", "this group's state was deleted");
    }
    if (!this.#stale) retireParts(this);
    this.#state = fresh.state;
    this.#pending = fresh.pending;
    this.#store = fresh.store;
    this.#stale = false;
  }

  /** The state is gone: wipe it and make every call fail. */
  #forget(): void {
    if (!this.#stale) retireParts(this);
    this.#deleted = true;
    this.#env.forget?.(this.groupId, this.clientId);
  }
}
