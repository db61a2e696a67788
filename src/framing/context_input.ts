/**
 * The GroupContext as the framing layer takes it: either the structure or
 * its encoding. Callers that keep the encoded context (the group layer does)
 * pass the bytes, so nothing is re-encoded per message.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { Reader } from "../codec/reader.ts";
import { MlsError } from "../errors.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../messages/group_context.ts";
import { bytesEqual } from "../util/bytes.ts";

/** A GroupContext (§8.1), as a structure or as its TLS encoding. */
export type GroupContextInput = GroupContext | Uint8Array;

/** The encoded GroupContext with the two fields framing checks against. */
export interface GroupContextView {
  /** The TLS encoding of the GroupContext. */
  encoded: Uint8Array;
  /** `group_id` */
  groupId: Uint8Array;
  /** `epoch` */
  epoch: bigint;
}

/**
 * The encoding, group id and epoch of a GroupContext. From bytes, only the
 * prefix up to the epoch is parsed (version, cipher_suite, group_id, epoch);
 * malformed bytes throw the codec's `MlsError`.
 */
export function groupContextView(gc: GroupContextInput): GroupContextView {
  if (!(gc instanceof Uint8Array)) {
    return {
      encoded: encode(groupContextCodec, gc),
      groupId: gc.groupId,
      epoch: gc.epoch,
    };
  }
  const r = new Reader(gc);
  r.u16("GroupContext.version");
  r.u16("GroupContext.cipherSuite");
  const groupId = r.opaque("GroupContext.groupId");
  const epoch = r.u64("GroupContext.epoch");
  return { encoded: gc, groupId, epoch };
}

/**
 * Checks that a message's group id and epoch are those of the GroupContext
 * it is processed in: `wrong_group`, then `wrong_epoch`, before any crypto.
 * Returns the context's view for further use.
 */
export function checkGroupAndEpoch(
  gc: GroupContextInput,
  groupId: Uint8Array,
  epoch: bigint,
): GroupContextView {
  const view = groupContextView(gc);
  if (!bytesEqual(groupId, view.groupId)) {
    throw new MlsError("wrong_group", "message is for another group");
  }
  if (epoch !== view.epoch) {
    throw new MlsError(
      "wrong_epoch",
      `message is for epoch ${epoch}, group is at ${view.epoch}`,
    );
  }
  return view;
}

/**
 * For a sender: content must name the group and epoch of the GroupContext
 * it is signed with, or it could never verify (`invalid_argument`). An
 * absent context (an external sender's) is not checked.
 */
export function checkOwnGroupAndEpoch(
  groupId: Uint8Array,
  epoch: bigint,
  gc: GroupContextInput | undefined,
): void {
  if (gc === undefined) return;
  try {
    checkGroupAndEpoch(gc, groupId, epoch);
  } catch (cause) {
    throw new MlsError(
      "invalid_argument",
      "content group id / epoch differ from the GroupContext",
      undefined,
      { cause },
    );
  }
}
