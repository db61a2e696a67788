/**
 * Inbox reads and deletions on Deno KV, over the per-client log that
 * `kv_sequencer.ts` keeps in delivery order: a fetch is one run of the
 * sequencer (normally a look at an empty range) and one range read from
 * the cursor, an acknowledgement deletes the range up to the cursor in
 * bounded batches. Neither lists the inbox.
 *
 * Cursors are `p` and the log position in 14 hex digits. They sort after
 * the cursors of earlier versions (which began with a versionstamp, so a
 * client comparing cursors keeps accepting new ones); such an old cursor
 * reads from the oldest unacknowledged message and acknowledges nothing.
 *
 * @module
 */

import type { AcceptContext } from "./kv_accept.ts";
import { readChunks } from "./kv_chunks.ts";
import type { LogValue } from "./kv_keys.ts";
import { unlocked } from "./kv_retry.ts";
import { sequenceInboxes, Sequencer } from "./kv_sequencer.ts";
import type { InboxMessage } from "./store.ts";

/** Deletions per atomic operation (Deno KV allows 1000 mutations). */
const DELETE_BATCH = 500;

/** The cursor of log position `pos`. */
export function logCursor(pos: number): string {
  return `p${pos.toString(16).padStart(14, "0")}`;
}

/** The log position of a cursor, `null` if it is not one of ours. */
export function logPosition(cursor: string): number | null {
  const m = /^p([0-9a-f]{14})$/.exec(cursor);
  return m ? parseInt(m[1], 16) : null;
}

/** Inbox operations of the Deno KV store. */
export class KvInbox {
  readonly #ctx: AcceptContext;
  readonly #sequencer: Sequencer;
  #forgets: Deno.KvKey[] = [];
  #flushing: Promise<void> | undefined;

  /**
   * @param ctx the database and keys
   * @param notify wakes the subscribers of these inboxes
   */
  constructor(ctx: AcceptContext, notify: (clients: string[]) => void) {
    this.#ctx = ctx;
    this.#sequencer = new Sequencer(ctx, notify);
  }

  /**
   * Messages were delivered to these inboxes: sequence them in the
   * background, then wake their subscribers.
   */
  delivered(clients: readonly string[]): void {
    this.#sequencer.schedule(clients);
  }

  async #read(
    client: string,
    from: number,
    limit: number,
  ): Promise<Deno.KvEntry<LogValue>[]> {
    const out: Deno.KvEntry<LogValue>[] = [];
    for await (
      const e of this.#ctx.kv.list<LogValue>({
        prefix: this.#ctx.keys.log(client),
        start: this.#ctx.keys.log(client, from),
      }, { limit, batchSize: Math.min(limit, 1000) })
    ) out.push(e);
    return out;
  }

  /** See {@link DeliveryStore.fetchInbox}: one range read of the page. */
  async fetch(
    client: string,
    after: string | undefined,
    limit: number,
    woken = false,
  ): Promise<InboxMessage[]> {
    const keys = this.#ctx.keys;
    let from = (after === undefined ? 0 : logPosition(after) ?? 0) + 1;
    // First into the log with whatever was accepted before this call (a
    // sequencer may be moving it right now; this waits for or does that),
    // so that a message accepted before a fetch is in that fetch. A reader
    // woken by a subscription was woken by a run that covered its inbox.
    if (!woken) await sequenceInboxes(this.#ctx, [client]);
    const out: InboxMessage[] = [];
    while (out.length < limit) {
      const want = limit - out.length;
      const page = await this.#read(client, from, want);
      const dead: Deno.KvKey[] = [];
      for (const e of page) {
        const pos = e.key[e.key.length - 1] as number;
        from = pos + 1;
        const v = e.value;
        const bytes = v.inline ??
          await readChunks(
            this.#ctx.kv,
            keys.blob(v.gid, v.seq, v.id),
            v.parts ?? 0,
          );
        if (!bytes) {
          dead.push(e.key); // its message expired
          continue;
        }
        out.push({
          cursor: logCursor(pos),
          groupId: v.gid,
          kind: v.kind,
          epoch: v.epoch,
          seq: v.seq,
          bytes,
        });
      }
      if (dead.length > 0) await this.#delete(dead);
      if (page.length < want) break; // the end of the log
    }
    return out;
  }

  async #delete(keys: readonly Deno.KvKey[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const op = this.#ctx.kv.atomic();
      for (const k of keys.slice(i, i + DELETE_BATCH)) op.delete(k);
      await unlocked(() => op.commit());
    }
  }

  /**
   * See {@link DeliveryStore.ack}: deletes the log up to the cursor, a
   * bounded batch at a time; the work is the number of messages deleted.
   */
  async ack(client: string, cursor: string): Promise<number> {
    const pos = logPosition(cursor);
    if (pos === null) return 0;
    const keys = this.#ctx.keys;
    let n = 0;
    for (;;) {
      const batch: Deno.KvKey[] = [];
      for await (
        const e of this.#ctx.kv.list({
          prefix: keys.log(client),
          end: keys.log(client, pos + 1),
        }, { limit: DELETE_BATCH, batchSize: DELETE_BATCH })
      ) batch.push(e.key);
      await this.#delete(batch);
      n += batch.length;
      if (batch.length < DELETE_BATCH) return n;
    }
  }

  /**
   * See {@link DeliveryStore.forget}. Deletions from all streams of this
   * process are batched into few atomic operations every few milliseconds.
   */
  forget(client: string, cursors: readonly string[]): Promise<void> {
    for (const c of cursors) {
      const pos = logPosition(c);
      if (pos !== null) this.#forgets.push(this.#ctx.keys.log(client, pos));
    }
    this.#flushing ??= new Promise<void>((r) => setTimeout(r, 10))
      .then(() => this.#flushForgets());
    return this.#flushing;
  }

  async #flushForgets(): Promise<void> {
    this.#flushing = undefined;
    while (this.#forgets.length > 0) {
      await this.#delete(this.#forgets.splice(0, 1000));
    }
  }

  /** Waits for background sequencing and batched deletions. */
  async flush(): Promise<void> {
    await this.#sequencer.idle();
    while (this.#flushing) await this.#flushing;
  }
}
