/**
 * Opening a `GroupView`: from the stored state of a member's group, or
 * from a fresh state (create, join) stored for the first time.
 *
 * @module
 */

import type { GroupState } from "../group/state.ts";
import type { SignaturePrivateKey } from "../../providers/provider.ts";
import { toHex } from "../util/bytes.ts";
import { GroupView } from "./group_view.ts";
import type { StorageWrite } from "./storage/storage.ts";
import { loadViewParts, storeNewState, type ViewParts } from "./stored_view.ts";
import type { ViewEnvironment } from "./view_environment.ts";
import { ViewState } from "./view_state.ts";

/**
 * `clientId`'s stored view of `groupId`, or `null` when none is stored
 * (see `loadViewParts`).
 *
 * @example
 * ```ts ignore
 * const view = await loadGroupView(env, groupId, clientId, signer);
 * ```
 */
export async function loadGroupView(
  env: ViewEnvironment,
  groupId: string,
  clientId: string,
  signer: SignaturePrivateKey,
): Promise<GroupView | null> {
  const parts = await loadViewParts(env, groupId, clientId, signer);
  return parts && viewOf(env, clientId, signer, parts);
}

/**
 * Stores `state`, a fresh state, with `extra` writes (see
 * `storeNewState`: `group_exists` unless `replace`), and returns its view.
 *
 * @example
 * ```ts ignore
 * const view = await storeGroupView(env, clientId, signer, state);
 * ```
 */
export async function storeGroupView(
  env: ViewEnvironment,
  clientId: string,
  signer: SignaturePrivateKey,
  state: GroupState,
  extra: StorageWrite[] = [],
  replace = false,
): Promise<GroupView> {
  const store = await storeNewState(env, clientId, state, extra, replace);
  return viewOf(env, clientId, signer, { state, pending: undefined, store });
}

/** The view of `parts`, `clientId`'s state of its group. */
function viewOf(
  env: ViewEnvironment,
  clientId: string,
  signer: SignaturePrivateKey,
  parts: ViewParts,
): GroupView {
  const groupId = toHex(parts.state.context.groupId);
  const live = new ViewState(env, groupId, clientId, signer, parts);
  return new GroupView(env, live);
}
