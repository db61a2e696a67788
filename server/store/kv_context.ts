/**
 * What the Deno KV store's modules share: the database, the key builder,
 * the retention period, and the in-process cache of decoded rosters.
 *
 * @module
 */

import type { Keys } from "./kv_keys.ts";
import { LogCache } from "./kv_log_cache.ts";
import { ReadBatcher } from "./kv_reads.ts";
import { RosterCache } from "./kv_roster.ts";

/** The shared state of one {@link KvStore}. */
export interface KvContext {
  /** The database. */
  readonly kv: Deno.Kv;
  /** Key builder. */
  readonly keys: Keys;
  /** How long log entries, blobs and proposals are kept, ms. */
  readonly retentionMs: number;
  /** Decoded rosters by group and membership version. */
  readonly rosters: RosterCache;
  /** Recent log entries (see `kv_log_cache.ts`). */
  readonly entries: LogCache;
  /** Batched point reads (see `kv_reads.ts`). */
  readonly reads: ReadBatcher;
}

/** A context over `kv` (a fresh roster cache). */
export function kvContext(
  kv: Deno.Kv,
  keys: Keys,
  retentionMs: number,
): KvContext {
  return {
    kv,
    keys,
    retentionMs,
    rosters: new RosterCache(),
    entries: new LogCache(),
    reads: new ReadBatcher(kv),
  };
}
