/**
 * The messages this member makes for its group: commits (held pending
 * until they come back, see `pending_commit.ts`), proposals and
 * application data; each stored in the view's state before it is handed
 * out.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import { type CommitOptions, createCommit } from "../group/commit.ts";
import {
  propose,
  sendApplication,
  type SentOwnProposal,
} from "../group/propose.ts";
import type { ValidationOptions } from "../group/validation/context.ts";
import type { Proposal } from "../messages/proposal.ts";
import type { GroupState } from "../group/state.ts";
import { proposalOutput } from "./outputs.ts";
import type { CommitOutput, ProposalOutput } from "./types.ts";
import { commitChecks, type ViewEnvironment } from "./view_environment.ts";
import type { ViewState } from "./view_state.ts";

/**
 * Commits with `options` (and the proposals of the epoch) and holds the
 * commit pending: `commit_pending` while one of ours is.
 *
 * @example
 * ```ts ignore
 * const out = await commitOwn(live, env, { path: true });
 * ```
 */
export async function commitOwn(
  live: ViewState,
  env: ViewEnvironment,
  options: CommitOptions,
): Promise<CommitOutput> {
  if (live.pending) {
    throw new MlsError(
      "commit_pending",
      "a commit is pending: receive it back, applyPendingCommit() or clearPendingCommit()",
    );
  }
  const c = await createCommit(live.state, {
    ...options,
    ...commitChecks(env),
  });
  return await live.holdPending(live.state, c);
}

/**
 * Makes proposals one after another, each on the state the one before
 * left, and stores them at once.
 *
 * @example
 * ```ts ignore
 * const [out] = await proposeOwn(live, [(s) => proposeUpdate(s)]);
 * ```
 */
export async function proposeOwn(
  live: ViewState,
  makers: ((state: GroupState) => Promise<SentOwnProposal>)[],
): Promise<ProposalOutput[]> {
  let state = live.state;
  const out: ProposalOutput[] = [];
  for (const make of makers) {
    const sent = await make(state);
    state = sent.state;
    out.push(proposalOutput(sent));
  }
  await live.storeState(state, live.pending);
  return out;
}

/**
 * Proposes `proposals` one after another (see {@link proposeOwn}), each
 * checked with `checks`.
 *
 * @example
 * ```ts ignore
 * const out = await proposeEach(live, leaves.map(removeProposal));
 * ```
 */
export function proposeEach(
  live: ViewState,
  proposals: readonly Proposal[],
  checks?: ValidationOptions,
): Promise<ProposalOutput[]> {
  return proposeOwn(
    live,
    proposals.map((p) => (s) => propose(s, p, undefined, checks)),
  );
}

/**
 * Encrypts `data` as a PrivateMessage: `proposals_pending` while the
 * epoch has proposals and no commit of ours is pending (RFC 9420 §12.4).
 *
 * @example
 * ```ts ignore
 * const ciphertext = await sendOwn(live, utf8Encode("hello"));
 * ```
 */
export async function sendOwn(
  live: ViewState,
  data: Uint8Array,
): Promise<Uint8Array> {
  if (live.state.proposals.size > 0 && !live.pending) {
    throw new MlsError(
      "proposals_pending",
      "commit this epoch's proposals before sending application data",
      "proposals",
    );
  }
  const msg = await sendApplication(live.state, data);
  // The ratchet step must be stored before the ciphertext leaves, or a
  // restart could reuse the key and nonce.
  await live.saveRatchets();
  return encode(mlsMessageCodec, msg);
}
