/**
 * Whether the group can still be used (RFC 9420 §12.4.2): not by a member
 * a commit removed, and not at all once a commit with a ReInit was
 * processed ("the client MUST NOT use the group to send messages
 * anymore"): no sending, and no handshake or application message of the
 * closed epoch accepted — late messages of earlier epochs still are.
 *
 * @module
 */

import { ContentType } from "../../framing/content_type.ts";
import type { MLSMessage } from "../../framing/mls_message.ts";
import { WireFormat } from "../../framing/wire_format.ts";
import { rule } from "../../util/rule.ts";
import type { GroupState } from "../state.ts";

/** Throws unless the member can still send in this group. */
export function requireActive(state: GroupState): void {
  rule(
    "§12.4.2",
    "removed",
    state.status !== "removed",
    "this member was removed from the group",
  );
  rule(
    "§12.4.2",
    "group_reinitialized",
    state.status !== "reinit",
    "the group was closed by a ReInit; use the new group",
  );
}

/**
 * Throws unless the group accepts `msg` (read before anything is
 * decrypted, so a refusal consumes no key).
 */
export function requireReceivable(state: GroupState, msg: MLSMessage): void {
  rule(
    "§12.4.2",
    "removed",
    state.status !== "removed",
    "this member was removed from the group",
  );
  if (state.status !== "reinit") return;
  const header = msg.wireFormat === WireFormat.mlsPrivateMessage
    ? msg.privateMessage
    : msg.wireFormat === WireFormat.mlsPublicMessage
    ? msg.publicMessage.content
    : undefined;
  if (!header) return; // not group content: refused as such on unprotect
  rule(
    "§12.4.2",
    "group_reinitialized",
    header.contentType === ContentType.application &&
      header.epoch !== state.context.epoch,
    "the group was closed by a ReInit: only late messages of earlier epochs are read",
  );
}
