/**
 * Reading a view's records from storage, and storing a new state (create,
 * join) for the first time. A read checks the head token before and after
 * (see `writer_guard.ts`), so that it never mixes the records of two
 * writes of another view.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import type { GroupState } from "../group/state.ts";
import type { SignaturePrivateKey } from "../../providers/provider.ts";
import { toHex } from "../util/bytes.ts";
import { type PendingCommit, readPendingCommit } from "./pending_commit.ts";
import { loadState } from "./persist.ts";
import { groupKey, headKey, pendingKey } from "./records.ts";
import { retireState } from "./retire.ts";
import { getBytes, type StorageWrite } from "./storage/storage.ts";
import type { ViewEnvironment } from "./view_environment.ts";
import { ViewStore } from "./view_store.ts";
import { readSteadily } from "./writer_guard.ts";

/** What a view holds: the epoch's state, our pending commit, its store. */
export interface ViewParts {
  /** The current epoch's state. */
  readonly state: GroupState;
  /** Our commit that awaits confirmation, if any. */
  readonly pending: PendingCommit | undefined;
  /** Where the state is stored, and the head token it was read with. */
  readonly store: ViewStore;
}

/**
 * Loads `clientId`'s stored view of `groupId`, or `null` when none is
 * stored, reading again while another view writes in between.
 *
 * @example
 * ```ts ignore
 * const parts = await loadViewParts(env, groupId, clientId, signer);
 * ```
 */
export function loadViewParts(
  env: ViewEnvironment,
  groupId: string,
  clientId: string,
  signer: SignaturePrivateKey,
): Promise<ViewParts | null> {
  const head = headKey(groupId, clientId);
  return readSteadily(
    () => getBytes(env.storage, head),
    (token) => readViewParts(env, groupId, clientId, signer, token),
    (parts) => parts && retireParts(parts),
  );
}

/** Reads the stored records of a view, once (see {@link loadViewParts}). */
async function readViewParts(
  env: ViewEnvironment,
  groupId: string,
  clientId: string,
  signer: SignaturePrivateKey,
  token: Uint8Array | undefined,
): Promise<ViewParts | null> {
  const loaded = await loadState(
    env.storage,
    env.provider,
    groupKey(groupId, clientId),
    groupId,
    clientId,
    signer,
  );
  if (!loaded) return null;
  const p = await getBytes(env.storage, pendingKey(groupId, clientId));
  const pending = p &&
    await readPendingCommit(p, env.provider, signer, loaded.state);
  const store = new ViewStore(
    env.storage,
    groupId,
    clientId,
    env.ratchetRecordLimit,
    loaded.deltas,
    token,
    false,
    loaded.tree,
    { keys: loaded.staleTree, maxGen: 0 },
  );
  return { state: loaded.state, pending, store };
}

/**
 * Stores a fresh state (create, join) with `extra` writes, and returns its
 * store: `group_exists` if a state of the group is stored meanwhile. With
 * `replace` (an external join that resyncs), over the stored state.
 *
 * @example
 * ```ts ignore
 * const store = await storeNewState(env, clientId, state, [], false);
 * ```
 */
export async function storeNewState(
  env: ViewEnvironment,
  clientId: string,
  state: GroupState,
  extra: StorageWrite[],
  replace: boolean,
): Promise<ViewStore> {
  const store = await ViewStore.open(
    env.storage,
    toHex(state.context.groupId),
    clientId,
    env.ratchetRecordLimit,
    replace,
  );
  const w = store.fullWrites(state);
  try {
    await store.batch([...w.writes, { key: store.keys.pending }, ...extra]);
  } catch (e) {
    if (!replace && e instanceof MlsError && e.code === "storage_conflict") {
      throw new MlsError(
        "group_exists",
        "this client already has this group",
        undefined,
        { cause: e },
      );
    }
    throw e;
  }
  w.stored();
  return store;
}

/**
 * Wipes the states of view parts that are not used (a torn read, or a
 * view's parts once replaced by a reload).
 *
 * @example
 * ```ts ignore
 * retireParts({ state, pending, store });
 * ```
 */
export function retireParts(parts: Omit<ViewParts, "store">): void {
  if (parts.pending) retireState(parts.pending.state, parts.state);
  retireState(parts.state);
}
