/**
 * Recently written or read entries of group logs, kept per process. An
 * entry never changes once written (its position and versionstamp are
 * unique), so every reader of a group in this process can take it from
 * here: a fetch after a wake-up then reads the group's record, not one
 * range of the log per member, and all readers share one decoded message
 * (and one encoding of it for the wire). Which positions exist is always
 * read from the database (the group record's last position); the cache
 * only saves reading the entries themselves. Entries past the retention
 * period are treated as gone.
 *
 * @module
 */

import type { LogValue } from "./kv_keys.ts";
import type { InboxMessage } from "./store.ts";

/** A cached entry. */
export interface CachedEntry {
  /** Versionstamp of the write. */
  readonly vs: string;
  /** The stored value. */
  readonly value: LogValue;
  /** The message as readers get it (`null`: its blob expired). */
  readonly message: InboxMessage | null;
}

/** Entries kept per group. */
const PER_GROUP = 4096;
/** Groups kept. */
const GROUPS = 256;

/** Recent log entries by group and position. */
export class LogCache {
  readonly #groups = new Map<string, Map<number, CachedEntry>>();

  /** The entry at `pos` of `gid`'s log, if cached. */
  get(gid: string, pos: number): CachedEntry | undefined {
    return this.#groups.get(gid)?.get(pos);
  }

  /** Keeps an entry. */
  put(gid: string, pos: number, entry: CachedEntry): void {
    let m = this.#groups.get(gid);
    if (!m) {
      m = new Map();
      this.#groups.set(gid, m);
      if (this.#groups.size > GROUPS) {
        this.#groups.delete(this.#groups.keys().next().value!);
      }
    }
    m.set(pos, entry);
    if (m.size > PER_GROUP) m.delete(m.keys().next().value!);
  }
}
