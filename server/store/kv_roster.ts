/**
 * A group's roster on Deno KV: its members and the readers of its log
 * (members, and removed members until they have read past their removal),
 * stored as one JSON document in chunks under a membership version that
 * only commits change (`rv, gid` names the current one). Every process
 * keeps decoded rosters by (group, version): an application message or a
 * fetch then costs no roster read while the membership stays the same,
 * whatever the group's size.
 *
 * @module
 */

import { chunks, readChunks } from "./kv_chunks.ts";
import type { Keys, KvInterval, Roster, RosterRef } from "./kv_keys.ts";

/** A decoded roster. */
export interface RosterView {
  /** The stored document. */
  readonly raw: Roster;
  /** Member -> `since`. */
  readonly members: ReadonlyMap<string, number>;
  /** Reader -> its membership intervals. */
  readonly readers: ReadonlyMap<string, KvInterval[]>;
}

/** Builds the view of a roster document. */
export function view(raw: Roster): RosterView {
  return {
    raw,
    members: new Map(raw.members),
    readers: new Map(raw.readers),
  };
}

/** Encodes a roster into its chunks. */
export function rosterChunks(r: Roster): Uint8Array[] {
  return chunks(new TextEncoder().encode(JSON.stringify(r)));
}

/** Most rosters kept decoded per process. */
const KEEP = 512;

/** Decoded rosters by group and version (least recently used dropped). */
export class RosterCache {
  readonly #map = new Map<string, RosterView>();

  /** The view of `gid`'s roster `ref`, read once per process. */
  async get(
    kv: Deno.Kv,
    keys: Keys,
    gid: string,
    ref: RosterRef,
  ): Promise<RosterView | null> {
    const k = `${gid}/${ref.mver}`;
    const hit = this.#map.get(k);
    if (hit) {
      this.#map.delete(k);
      this.#map.set(k, hit);
      return hit;
    }
    const bytes = await readChunks(kv, keys.roster(gid, ref.mver), ref.parts);
    if (!bytes) return null; // replaced meanwhile
    const v = view(JSON.parse(new TextDecoder().decode(bytes)) as Roster);
    this.put(gid, ref.mver, v);
    return v;
  }

  /** Remembers a roster this process wrote. */
  put(gid: string, mver: number, v: RosterView): void {
    this.#map.set(`${gid}/${mver}`, v);
    if (this.#map.size > KEEP) {
      this.#map.delete(this.#map.keys().next().value!);
    }
  }
}
