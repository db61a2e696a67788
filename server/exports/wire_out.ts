/**
 * What the export routes share: the group's public state (404 without
 * one) and the JSON form of stored exports.
 *
 * @module
 */

import type { Services } from "../context.ts";
import { ApiError } from "../errors.ts";
import { loadPublicState, type PublicState } from "../mls/public_state.ts";
import { toBase64 } from "../shared/base64.ts";
import type { WireExports } from "../shared/export_wire.ts";
import { utf8Decode } from "../../src/util/bytes.ts";
import type { StoredExport } from "./store.ts";

/** How often a waiting fetch or a stream looks again (other processes may write). */
export const POLL_MS = 200;

/** The group's current public state; `404 unknown_group` without one. */
export async function stateOf(
  s: Services,
  groupId: string,
): Promise<PublicState> {
  const state = await loadPublicState(s.store, s.opts.provider, groupId);
  if (!state) throw new ApiError(404, "unknown_group", "no such group");
  return state;
}

/** Stored exports as JSON; `next` is the epoch after the last, or `from`. */
export function wire(list: StoredExport[], from: number): WireExports {
  return {
    exports: list.map((e) => ({
      epoch: e.epoch,
      label: utf8Decode(e.label),
      context: toBase64(e.context),
      kemOutput: toBase64(e.kemOutput),
      ciphertext: toBase64(e.ciphertext),
    })),
    next: list.length ? list[list.length - 1].epoch + 1 : from,
  };
}
