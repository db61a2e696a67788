/**
 * The automatic commit of received proposals (`MLSOptions.autoCommit`,
 * on by default): a member that has seen proposals must commit them
 * before it sends more application data (RFC 9420 §12.4), so the view
 * commits them on arrival, and `receive()` returns the commit to send.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import {
  createCommit,
  type CreatedCommit,
  pendingProposals,
} from "../group/commit.ts";
import type { GroupState } from "../group/state.ts";
import { commitChecks, type ViewEnvironment } from "./view_environment.ts";

/**
 * How the automatic commit went: the commit created, or why it failed
 * (an `MlsError`, `commit_failed` wrapping anything else).
 */
export type AutoCommitOutcome =
  | { readonly created: CreatedCommit; readonly error?: undefined }
  | { readonly created?: undefined; readonly error: MlsError };

/**
 * Commits the proposals of `state`, which holds a proposal just received,
 * when the view commits automatically: `undefined` when it does not (the
 * option is off, a commit of ours is pending, or the state has nothing to
 * commit). A failure is returned, never thrown nor dropped: the view keeps
 * the proposal for `commit()` or `clearProposals()` and reports the error
 * in `ProposalReceived.commitError`.
 *
 * @example
 * ```ts ignore
 * const auto = await autoCommit(env, r.state, pending !== undefined);
 * if (auto?.error) console.log(auto.error.code);
 * ```
 */
export async function autoCommit(
  env: ViewEnvironment,
  state: GroupState,
  hasPendingCommit: boolean,
): Promise<AutoCommitOutcome | undefined> {
  if (
    !env.autoCommit || hasPendingCommit || state.status !== "active" ||
    pendingProposals(state).length === 0
  ) {
    return undefined;
  }
  try {
    return { created: await createCommit(state, commitChecks(env)) };
  } catch (e) {
    return {
      error: e instanceof MlsError ? e : new MlsError(
        "commit_failed",
        "the automatic commit failed",
        undefined,
        { cause: e },
      ),
    };
  }
}
