/**
 * One client's inbox in memory: messages in cursor order, so that a fetch
 * finds its start by binary search and copies only the page, and an
 * acknowledgement moves a start index instead of rebuilding the array.
 * Work per call is O(log n + page), whatever the inbox holds.
 *
 * @module
 */

import type { InboxMessage } from "./store.ts";

/** Acknowledged slots are dropped once they are this many and half the array. */
const COMPACT_AT = 1024;

/** An inbox: messages appended in increasing cursor order. */
export class MemoryInbox {
  /** Slots before `#start` are acknowledged (kept until compaction). */
  #items: InboxMessage[] = [];
  #start = 0;

  /** How many messages wait. */
  get size(): number {
    return this.#items.length - this.#start;
  }

  /** Appends a message; its cursor must sort after every cursor here. */
  push(m: InboxMessage): void {
    this.#items.push(m);
  }

  /** The index of the first live message with a cursor above `cursor`. */
  #after(cursor: string): number {
    let lo = this.#start;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid].cursor > cursor) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Up to `limit` messages after `after` (from the oldest without it). */
  fetch(after: string | undefined, limit: number): InboxMessage[] {
    const from = after === undefined ? this.#start : this.#after(after);
    return this.#items.slice(from, from + limit);
  }

  /** Drops every message up to and including `cursor`; returns how many. */
  ack(cursor: string): number {
    const end = this.#after(cursor);
    const n = end - this.#start;
    this.#start = end;
    this.#compact();
    return n;
  }

  /** Drops exactly these messages (a stream's acknowledgement). */
  forget(cursors: readonly string[]): void {
    for (const c of cursors) {
      const i = this.#after(c) - 1;
      if (i < this.#start || this.#items[i].cursor !== c) continue;
      // A stream from the oldest message forgets from the front: O(1).
      if (i === this.#start) this.#start++;
      else this.#items.splice(i, 1);
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#start >= COMPACT_AT && this.#start * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#start);
      this.#start = 0;
    }
  }
}
