/**
 * What a `GroupView` takes from the `MLS` instance that made it: the
 * storage, the crypto provider and the application's settings, and the
 * options the group layer's calls are given from them.
 *
 * @module
 */

import type { CommitOptions } from "../group/commit.ts";
import type { PskLookup } from "../group/psks.ts";
import type { ReceiveOptions } from "../group/receive.ts";
import type { GroupState } from "../group/state.ts";
import type { ValidationOptions } from "../group/validation/context.ts";
import type { CryptoProvider } from "../../providers/provider.ts";
import { groupAuthorize } from "./authorize_hook.ts";
import type { Storage } from "./storage/storage.ts";
import type { AuthorizeHook } from "./types.ts";

/** What a view needs from its `MLS` instance. */
export interface ViewEnvironment {
  /** Where states live (every failure an `MlsError`). */
  storage: Storage;
  /** The crypto provider states are loaded with. */
  provider: CryptoProvider;
  /** The application's policy for incoming proposals and commits. */
  authorize?: AuthorizeHook;
  /** Commit received proposals right away (default true). */
  autoCommit: boolean;
  /** External PSKs. */
  psks?: PskLookup;
  /** See `MLSOptions.ratchetRecordLimit`. */
  ratchetRecordLimit: number;
  /** See `MLSOptions.maxLifetime` and `MLSOptions.validateCredential`. */
  validation: ValidationOptions;
  /** Called when a view's state is deleted, so caches drop it. */
  forget?: (groupId: string, clientId: string) => void;
  /** Called with a view another view opened (a branch), so caches keep it. */
  remember?: (view: object) => void;
}

/**
 * What this member checks of what it sends: the application's settings,
 * and the lifetimes of key packages at the current time too (RFC 9420
 * §7.3).
 *
 * @example
 * ```ts ignore
 * await propose(state, add, undefined, sendChecks(env));
 * ```
 */
export function sendChecks(env: ViewEnvironment): ValidationOptions {
  return { ...env.validation, now: new Date() };
}

/**
 * The options of a commit this member makes: the external PSKs and
 * {@link sendChecks}.
 *
 * @example
 * ```ts ignore
 * await createCommit(state, { path: true, ...commitChecks(env) });
 * ```
 */
export function commitChecks(env: ViewEnvironment): CommitOptions {
  return { psks: env.psks, ...sendChecks(env) };
}

/**
 * The options of receiving a message in `state`, the state of the view of
 * `groupId` (hex): the application's hook and settings, the external PSKs.
 *
 * @example
 * ```ts ignore
 * await receiveMessage(state, message, receiveOptions(env, groupId, state));
 * ```
 */
export function receiveOptions(
  env: ViewEnvironment,
  groupId: string,
  state: GroupState,
): ReceiveOptions {
  return {
    authorize: groupAuthorize(env.authorize, groupId, state.tree),
    psks: env.psks,
    ...env.validation,
  };
}
