/**
 * Changing a view's handshake wire format (RFC 9420 §6: each member
 * chooses how it frames its proposals and commits), stored with the
 * group's state and with our pending commit's, atomically.
 *
 * @module
 */

import type { GroupState } from "../group/state.ts";
import { withPendingState } from "./pending_commit.ts";
import { checkHandshakeWireFormat } from "./settings_check.ts";
import type { ViewState } from "./view_state.ts";

/**
 * Stores `format` (the argument of `setHandshakeWireFormat`, checked) as
 * `live`'s handshake wire format, in the current state and in our pending
 * commit's next-epoch state (so that it carries over); nothing is written
 * when it is already the format.
 *
 * @example
 * ```ts ignore
 * await storeHandshakeWireFormat(live, "public");
 * ```
 */
export async function storeHandshakeWireFormat(
  live: ViewState,
  format: "private" | "public",
): Promise<void> {
  const wf = checkHandshakeWireFormat(format, "format");
  if (wf === live.state.config.handshakeWireFormat) return;
  const withFormat = (s: GroupState): GroupState => ({
    ...s,
    config: { ...s.config, handshakeWireFormat: wf },
  });
  const next = withFormat(live.state);
  const p = live.pending;
  const pending = p &&
    withPendingState(p, withFormat(p.state), live.clientId, next);
  await live.storeState(next, pending);
}
