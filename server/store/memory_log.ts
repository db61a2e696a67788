/**
 * Fan-out on read in memory (issue 23): each group message is stored once,
 * in its group's log, at a position `pos` from the store's global counter
 * (the same counter that orders Welcomes in the per-client inboxes, so a
 * member's view merges by position and keeps acceptance order). Who may
 * read an entry is decided from the member's membership intervals, exactly
 * as {@link planAccept} routed it on write:
 *
 * - the entry lies in one of the member's intervals (`from < pos <= to`):
 *   after the commit that added it, up to the commit that removed it;
 * - that interval's `since` is at most the entry's epoch (application
 *   messages of an older epoch reach only members of that epoch);
 * - it is not the member's own proposal or application message (nor its own
 *   external commit).
 *
 * @module
 */

import type { InboxMessage, MessageKind } from "./store.ts";

/** One group message, stored once. */
export interface LogEntry {
  /** Position from the store's global counter. */
  readonly pos: number;
  /** The inbox view of it (cursor from `pos`). */
  readonly message: InboxMessage;
  /** The client that does not read it (the poster), or `null`. */
  readonly skip: string | null;
  /** When it was accepted, ms since the epoch (for the retention period). */
  readonly at: number;
}

/** A stretch of a client's membership in a group. */
export interface Interval {
  /** The first epoch of the membership. */
  readonly since: number;
  /** Entries after this position are for it. */
  readonly from: number;
  /** Up to and including this position (`Infinity` while a member). */
  to: number;
}

/** Whether `client` with `intervals` reads `e`. */
export function visible(
  e: LogEntry,
  client: string,
  intervals: readonly Interval[],
): boolean {
  if (e.skip === client) return false;
  for (const iv of intervals) {
    if (e.pos > iv.from && e.pos <= iv.to && iv.since <= e.message.epoch) {
      return true;
    }
  }
  return false;
}

/** A group's log: entries in increasing `pos`, trimmed from the front. */
export class GroupLog {
  #items: LogEntry[] = [];
  #start = 0;
  /** Acknowledgements since the last trim (see {@link GroupLog.shouldTrim}). */
  acksSinceTrim = 0;

  /** Entries kept. */
  get size(): number {
    return this.#items.length - this.#start;
  }

  /** Appends an entry (its `pos` above every one here). */
  push(
    pos: number,
    kind: Exclude<MessageKind, "welcome">,
    m: Omit<InboxMessage, "cursor" | "kind">,
    skip: string | null,
    cursor: string,
    at: number,
  ): void {
    this.#items.push({ pos, skip, at, message: { ...m, kind, cursor } });
  }

  /**
   * Drops the entries accepted before `cutoff` (ms since the epoch): the
   * retention period ended for them, read or not. Entries are in
   * acceptance order, so this looks at the front only.
   */
  expire(cutoff: number): number {
    let end = this.#start;
    while (end < this.#items.length && this.#items[end].at < cutoff) end++;
    if (end === this.#start) return 0;
    return this.trim(this.#items[end - 1].pos);
  }

  /** Index of the first kept entry with `pos > after`. */
  #after(after: number): number {
    let lo = this.#start;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid].pos > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Up to `limit` entries after `after` that `client` reads, skipping
   * `forgotten` positions; stops past `upTo`.
   */
  read(
    client: string,
    intervals: readonly Interval[],
    after: number,
    limit: number,
    forgotten: ReadonlySet<number> | undefined,
    upTo = Infinity,
  ): LogEntry[] {
    const out: LogEntry[] = [];
    if (limit <= 0) return out;
    const last = Math.min(upTo, Math.max(...intervals.map((i) => i.to)));
    for (let i = this.#after(after); i < this.#items.length; i++) {
      const e = this.#items[i];
      if (e.pos > last) break;
      if (forgotten?.has(e.pos)) continue;
      if (!visible(e, client, intervals)) continue;
      out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * The position a reader at `after` has read past: `after`, moved over
   * the entries it does not read (its own messages, those after its
   * removal). Kept by the caller, so each entry is skipped once per reader.
   */
  skipInvisible(
    client: string,
    intervals: readonly Interval[],
    after: number,
  ): number {
    for (let i = this.#after(after); i < this.#items.length; i++) {
      const e = this.#items[i];
      if (visible(e, client, intervals)) break;
      after = e.pos;
    }
    return after;
  }

  /** Drops every entry with `pos <= upTo`; returns how many. */
  trim(upTo: number): number {
    const end = this.#after(upTo);
    const n = end - this.#start;
    this.#start = end;
    if (this.#start >= 1024 && this.#start * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#start);
      this.#start = 0;
    }
    this.acksSinceTrim = 0;
    return n;
  }
}
