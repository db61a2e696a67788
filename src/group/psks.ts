/**
 * Looking up the PSKs a Commit or Welcome names (§8.4): external PSKs from
 * the application, resumption PSKs from this group's recent epochs or from
 * another group the application knows.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { type PreSharedKeyID, PSKType } from "../messages/psk.ts";
import type { PskInput } from "../schedule/psk.ts";
import { bytesEqual } from "../util/bytes.ts";

/**
 * Finds the PSK an id names, or `undefined` if unknown. Applications pass
 * one to reach external PSKs and other groups' resumption PSKs.
 */
export type PskLookup = (
  id: PreSharedKeyID,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** A lookup over this group's retained resumption PSKs, then `fallback`. */
export function groupPskLookup(
  groupId: Uint8Array,
  resumptionPsks: ReadonlyMap<bigint, Uint8Array>,
  fallback?: PskLookup,
): PskLookup {
  return (id) => {
    if (
      id.pskType === PSKType.resumption && bytesEqual(id.pskGroupId, groupId)
    ) {
      const psk = resumptionPsks.get(id.pskEpoch);
      if (psk) return psk;
    }
    return fallback?.(id);
  };
}

/** Resolves every id, in order; a missing PSK is `missing_psk`. */
export async function resolvePsks(
  ids: readonly PreSharedKeyID[],
  lookup: PskLookup,
): Promise<PskInput[]> {
  const out: PskInput[] = [];
  for (let i = 0; i < ids.length; i++) {
    const psk = await lookup(ids[i]);
    if (!psk) {
      throw new MlsError(
        "missing_psk",
        "a named PSK is not available",
        `psks[${i}]`,
      );
    }
    out.push({ id: ids[i], psk });
  }
  return out;
}
