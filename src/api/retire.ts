/**
 * Forward secrecy at the API boundary: when a state is replaced by the
 * next epoch's, or a pending state is dropped, the secrets only it held
 * are overwritten (RFC 9420 §9.2, §16.6). Values the state that lives on
 * still shares — retained past-epoch keys, resumption PSKs, the current
 * secret tree — are left alone.
 *
 * @module
 */

import type { GroupState } from "../group/state.ts";
import type { SecretTree } from "../schedule/secret_tree.ts";
import { wipe } from "../util/bytes.ts";

/** Wipes what `old` holds and `live` (the state kept, if any) does not share. */
export function retireState(old: GroupState, live?: GroupState): void {
  const keepBytes = new Set<Uint8Array>();
  const keepTrees = new Set<SecretTree>();
  if (live) {
    keepTrees.add(live.secretTree);
    for (const p of live.past) {
      keepTrees.add(p.secretTree);
      keepBytes.add(p.senderDataSecret);
    }
    for (const psk of live.resumptionPsks.values()) keepBytes.add(psk);
    for (const v of Object.values(live.keys)) keepBytes.add(v);
    for (const k of live.updateKeys.values()) keepBytes.add(k);
  }
  if (live?.privateTree !== old.privateTree) old.privateTree.wipe();
  for (const v of Object.values(old.keys)) if (!keepBytes.has(v)) wipe(v);
  for (const t of [old.secretTree, ...old.past.map((p) => p.secretTree)]) {
    if (!keepTrees.has(t)) t.wipe();
  }
  for (const p of old.past) {
    if (!keepBytes.has(p.senderDataSecret)) wipe(p.senderDataSecret);
  }
  for (const k of old.updateKeys.values()) if (!keepBytes.has(k)) wipe(k);
}
