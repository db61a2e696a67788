/**
 * Dropping the proposals of the epoch (received or our own) from a view's
 * state, for a member that will not commit them.
 *
 * @module
 */

import { clearProposals } from "../group/propose.ts";
import type { ViewState } from "./view_state.ts";

/**
 * Stores `live`'s state without its proposals and returns how many there
 * were (nothing is written when there were none).
 *
 * @example
 * ```ts ignore
 * const dropped = await clearEpochProposals(live);
 * ```
 */
export async function clearEpochProposals(live: ViewState): Promise<number> {
  const n = live.state.proposals.size;
  if (n === 0) return 0;
  await live.storeState(clearProposals(live.state), live.pending);
  return n;
}
