/**
 * Forward secrecy at the API boundary: when a state is replaced by the
 * next epoch's (or a pending state is dropped), the secrets only it held
 * are overwritten (RFC 9420 §9.2, §16.6). Values the successor still
 * shares — retained past-epoch keys, resumption PSKs — are left alone.
 *
 * @module
 */

import type { GroupState } from "../group/state.ts";
import { wipe } from "../util/bytes.ts";

/** Wipes what `old` holds and `next` (if given) does not share. */
export function retireState(old: GroupState, next?: GroupState): void {
  if (!next || next.priv !== old.priv) old.priv.wipe();
  const keep = new Set<Uint8Array>();
  if (next) {
    for (const p of next.past) keep.add(p.senderDataSecret);
    for (const psk of next.resumptionPsks.values()) keep.add(psk);
    for (const v of Object.values(next.keys)) keep.add(v);
  }
  for (const v of Object.values(old.keys)) if (!keep.has(v)) wipe(v);
  if (!next || !next.past.some((p) => p.secretTree === old.secretTree)) {
    if (next?.secretTree !== old.secretTree) old.secretTree.wipe();
  }
  for (const p of old.past) {
    if (next?.past.some((q) => q.secretTree === p.secretTree)) continue;
    p.secretTree.wipe();
    if (!keep.has(p.senderDataSecret)) wipe(p.senderDataSecret);
  }
  for (const [, k] of old.updateKeys) {
    if (!next || ![...next.updateKeys.values()].includes(k)) wipe(k);
  }
}
