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
import type { ExportStore, StoredExport } from "./store.ts";

/** Copies one page holds (more when one epoch alone has more). */
const PAGE = 100;

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
      poster: e.poster,
      kemOutput: toBase64(e.kemOutput),
      ciphertext: toBase64(e.ciphertext),
    })),
    next: list.length ? list[list.length - 1].epoch + 1 : from,
  };
}

/**
 * A page of the consumer's copies from epoch `from` on, ending at an
 * epoch's end (the next page starts at the following epoch, so no copy of
 * an epoch is skipped); one epoch with more copies than a page comes whole,
 * bounded by the copies an epoch can hold (`maxPerEpoch`).
 */
export async function page(
  exports: ExportStore,
  groupId: string,
  consumerId: string,
  from: number,
  maxPerEpoch: number,
): Promise<StoredExport[]> {
  const list = await exports.listExports(groupId, consumerId, from, PAGE);
  if (list.length < PAGE) return list;
  const last = list[list.length - 1].epoch;
  const whole = list.filter((e) => e.epoch < last);
  if (whole.length > 0) return whole;
  // A single epoch fills the page: that epoch alone, all of it.
  return (await exports.listExports(groupId, consumerId, from, maxPerEpoch))
    .filter((e) => e.epoch === last);
}
