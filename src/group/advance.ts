/**
 * Assembling the state of a new epoch from the old state and the outcome
 * of a commit, retaining what the configuration asks for (past epochs for
 * late messages, recent resumption PSKs) and nothing else.
 *
 * @module
 */

import type { ReInit } from "../messages/proposal.ts";
import type { PrivateTree } from "../tree/private_tree.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import type { NextEpoch } from "./epoch.ts";
import type { GroupState, PastEpoch } from "./state.ts";

/** The state after a commit. */
export function advanceState(
  old: GroupState,
  next: NextEpoch,
  tree: RatchetTree,
  priv: PrivateTree,
  reinit?: ReInit,
): GroupState {
  const max = old.config.maxPastEpochs;
  const past: PastEpoch[] = max > 0
    ? [{
      context: old.context,
      tree: old.tree,
      secretTree: old.secretTree,
      senderDataSecret: old.keys.senderDataSecret,
    }, ...old.past].slice(0, max)
    : [];
  const resumptionPsks = new Map(old.resumptionPsks);
  resumptionPsks.set(next.context.epoch, next.keys.resumptionPsk);
  const keep = old.config.maxResumptionPsks;
  for (
    const epoch of [...resumptionPsks.keys()].sort((a, b) => a < b ? -1 : 1)
  ) {
    if (resumptionPsks.size <= keep) break;
    resumptionPsks.delete(epoch);
  }
  return {
    cs: old.cs,
    config: old.config,
    context: next.context,
    tree,
    privateTree: priv,
    signer: old.signer,
    keys: next.keys,
    secretTree: next.secretTree,
    interimTranscriptHash: next.interimTranscriptHash,
    confirmationTag: next.confirmationTag,
    proposals: new Map(),
    updateKeys: new Map(),
    resumptionPsks,
    past,
    status: reinit ? "reinit" : "active",
    reinit,
  };
}
