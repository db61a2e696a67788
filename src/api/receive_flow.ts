/**
 * Receiving a message into a view's state, step by step: our own commit
 * coming back applies it; anything else is decoded (a group message only),
 * handed to the group layer, committed right away if it is a proposal and
 * the view commits automatically (`auto_commit.ts`), stored, and reported
 * as the Web API's `Received` (`received_result.ts`).
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { WireFormat } from "../framing/wire_format.ts";
import {
  receiveMessage,
  type ReceiveResult as GroupReceived,
} from "../group/receive.ts";
import type { GroupState } from "../group/state.ts";
import { bytesEqual } from "../util/bytes.ts";
import { autoCommit } from "./auto_commit.ts";
import {
  decodeMessage,
  messageBytes,
  type MessageInput,
} from "./message_input.ts";
import { ownCommitReceived, toReceived } from "./received_result.ts";
import type { CommitReceived, ProposalReceived, Received } from "./types.ts";
import { receiveOptions, type ViewEnvironment } from "./view_environment.ts";
import type { ViewState } from "./view_state.ts";

/**
 * Processes `input` (`message` names it in errors) into `live`, the
 * state of a view of `env`: application data, a proposal, a commit, or
 * our removal.
 *
 * @example
 * ```ts ignore
 * const received = await receiveInto(live, env, bytes);
 * ```
 */
export async function receiveInto(
  live: ViewState,
  env: ViewEnvironment,
  input: MessageInput,
): Promise<Received> {
  const bytes = messageBytes(input, "message");
  if (live.pending && bytesEqual(bytes, live.pending.record.commit)) {
    return await applyOwnCommit(live);
  }
  // A Welcome, GroupInfo or KeyPackage is `invalid_wire_format`: they go
  // to MLS.groupJoin, MLS.groupJoinExternal and add().
  const msg = decodeMessage(bytes, "message", [
    WireFormat.mlsPublicMessage,
    WireFormat.mlsPrivateMessage,
  ]);
  const before = live.state;
  const options = receiveOptions(env, live.groupId, before);
  const r = await receiveMessage(before, msg, options);
  if (r.kind === "proposal") return await keepProposal(live, env, before, r);
  const result = toReceived(before, r);
  // A new epoch (a commit, or our removal) voids a commit of ours.
  if (r.kind === "application") await live.saveRatchets();
  else await live.enterEpoch(r.state);
  return result;
}

/** Stores a received proposal, committed right away with `autoCommit`. */
async function keepProposal(
  live: ViewState,
  env: ViewEnvironment,
  before: GroupState,
  r: Extract<GroupReceived, { kind: "proposal" }>,
): Promise<ProposalReceived> {
  const result = toReceived(before, r);
  const auto = await autoCommit(env, r.state, live.pending !== undefined);
  if (auto?.created) {
    const out = await live.holdPending(r.state, auto.created);
    return { ...result, commitOutput: out };
  }
  await live.storeState(r.state, live.pending);
  return auto ? { ...result, commitError: auto.error } : result;
}

/**
 * Applies our pending commit (`no_pending_commit` without one), reporting
 * it as members who receive it do.
 *
 * @example
 * ```ts ignore
 * const result = await applyOwnCommit(live);
 * ```
 */
export async function applyOwnCommit(live: ViewState): Promise<CommitReceived> {
  const p = live.pending;
  if (!p) {
    throw new MlsError("no_pending_commit", "there is no pending commit");
  }
  const prev = live.state;
  await live.enterEpoch(p.state);
  return ownCommitReceived(prev, p.state, p.record.summary);
}
