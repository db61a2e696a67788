/**
 * Reading group logs on Deno KV (fan-out on read, issue 23). A client's
 * inbox is the merge of the logs of the groups it reads (`groups, id`):
 * from each, the entries after its read position (`ack, gid, id`) that its
 * membership intervals cover (`kv_group.ts` `reads`), and the Welcomes that
 * name it.
 *
 * Cursors are `v`, the versionstamp of the operation that wrote the entry
 * (20 hex digits), its log position (12 hex digits), `.` and the group id.
 * Versionstamps grow with commit order across the whole database, so
 * cursors order entries of different groups by acceptance, and within a
 * group the position breaks ties. They sort after the cursors of earlier
 * versions (`p…`); such an old cursor reads from the oldest unacknowledged
 * message and acknowledges nothing.
 *
 * A fetch reads several logs one after the other, so it first reads the
 * `clock` that every write to any log bumps, and returns only entries
 * written no later than that: anything written after it has a larger
 * versionstamp, so the next fetch from the returned cursor cannot miss an
 * entry of a log read earlier.
 *
 * @module
 */

import { readBlob } from "./kv_blobs.ts";
import type { KvContext } from "./kv_context.ts";
import { type Cursor, cursorOf, parseCursor } from "./kv_cursor.ts";
import type { CachedEntry } from "./kv_log_cache.ts";
import { lastReadable, readGroup, reads } from "./kv_group.ts";
import type { GroupMeta, KvInterval, LogValue, RosterRef } from "./kv_keys.ts";
import { unlocked } from "./kv_retry.ts";
import type { RosterView } from "./kv_roster.ts";
import type { InboxMessage } from "./store.ts";

/** One group as a reader sees it. */
interface View {
  gid: string;
  meta: GroupMeta;
  roster: RosterView;
  ivs: KvInterval[] | undefined;
  ack: Deno.KvEntry<number> | Deno.KvEntryMaybe<number>;
}

/** Read position entries remembered. */
const ACKS_SEEN = 50_000;

function ackId(gid: string, client: string): string {
  return `${gid}/${client}`;
}

/** A group's log is trimmed at most this often by one process, ms. */
const TRIM_EVERY_MS = 1000;
/** Clients whose lists of groups are kept. */
const LISTS = 10_000;
/** Deletions per atomic operation. */
const DELETE_BATCH = 500;
/** Deno KV's limit of checks per atomic operation. */
const MAX_CHECKS = 100;

/** Reads, acknowledgements and trimming of group logs. */
export class KvReader {
  readonly #ctx: KvContext;
  readonly #onGroups: (client: string, gids: readonly string[]) => void;
  /** Forgotten positions by client and group, flushed together. */
  #forgets = new Map<string, Map<string, Set<number>>>();
  #flushing: Promise<void> | undefined;
  /** Acknowledgements per group since its last trim. */
  readonly #acks = new Map<string, number>();
  readonly #trims = new Map<string, Promise<void>>();
  readonly #trimmedAt = new Map<string, number>();
  /** Read position entries last read or written here, by group and client. */
  readonly #ackSeen = new Map<string, Deno.KvEntryMaybe<number>>();
  /** Clients' lists of groups, with the versionstamp of their head. */
  readonly #lists = new Map<string, { head: string | null; gids: string[] }>();

  /**
   * @param ctx the store's context
   * @param onGroups told the groups a client reads, at each fetch
   */
  constructor(
    ctx: KvContext,
    onGroups: (client: string, gids: readonly string[]) => void,
  ) {
    this.#ctx = ctx;
    this.#onGroups = onGroups;
  }

  /** The groups whose logs `client` reads. */
  async groupsOf(client: string): Promise<string[]> {
    const out: string[] = [];
    for await (
      const e of this.#ctx.kv.list({ prefix: this.#ctx.keys.groups(client) })
    ) out.push(e.key[e.key.length - 1] as string);
    return out;
  }

  /** The reader's view of these groups (three per read). */
  async #views(client: string, gids: readonly string[]): Promise<View[]> {
    const k = this.#ctx.keys;
    const got = await this.#ctx.reads.getMany(
      gids.flatMap((g) => [k.group(g), k.rosterRef(g), k.ack(g, client)]),
    );
    return await this.#toViews(client, gids, got);
  }

  /** Views from the entries of `group, rv, ack` of each of `gids`. */
  async #toViews(
    client: string,
    gids: readonly string[],
    got: readonly Deno.KvEntryMaybe<unknown>[],
  ): Promise<View[]> {
    const out: View[] = [];
    for (const [j, gid] of gids.entries()) {
      const meta = got[3 * j].value as GroupMeta | null;
      const rv = got[3 * j + 1].value as RosterRef | null;
      const ack = got[3 * j + 2] as Deno.KvEntryMaybe<number>;
      this.#seen(gid, client, ack);
      if (!meta || !rv) continue;
      // The record and the roster reference may come from two snapshots
      // (batched reads): only a matching pair says who reads what.
      const roster = rv.mver === meta.mver
        ? await this.#ctx.rosters.get(this.#ctx.kv, this.#ctx.keys, gid, rv)
        : null;
      if (roster) {
        out.push({ gid, meta, roster, ivs: roster.readers.get(client), ack });
        continue;
      }
      // Replaced between the reads: read the group again, in one snapshot.
      const st = await readGroup(this.#ctx, gid);
      if (!st) continue;
      out.push({
        gid,
        meta: st.meta.value,
        roster: st.roster,
        ivs: st.roster.readers.get(client),
        ack,
      });
    }
    return out;
  }

  /**
   * The horizon (the clock's versionstamp, `null` before any write) and
   * the client's views. The clock is read first; the client's list of
   * groups is kept per process until its `head` moves (every write that
   * adds a group to the list bumps it, in the same or an earlier
   * operation, so a head read after the clock has moved if a group was
   * added before it). The reads of concurrent fetches are batched
   * (`kv_reads.ts`): the members of a group woken together cost a few
   * reads, not one each.
   */
  async #horizonAndViews(
    client: string,
  ): Promise<{ horizon: string | null; gids: string[]; views: View[] }> {
    const k = this.#ctx.keys;
    const reads = this.#ctx.reads;
    const [clock] = await reads.getMany([k.clock()]);
    const horizon = clock.versionstamp;
    const known = this.#lists.get(client);
    if (known) {
      const got = await reads.getMany([
        k.head(client),
        ...known.gids.flatMap((g) => [
          k.group(g),
          k.rosterRef(g),
          k.ack(g, client),
        ]),
      ]);
      if (got[0].versionstamp === known.head) {
        const views = await this.#toViews(client, known.gids, got.slice(1));
        return { horizon, gids: known.gids, views };
      }
    }
    // Read after the clock: every row written before it is in the list.
    const [head] = await reads.getMany([k.head(client)]);
    const gids = await this.groupsOf(client);
    this.#lists.delete(client);
    this.#lists.set(client, { head: head.versionstamp, gids });
    if (this.#lists.size > LISTS) {
      this.#lists.delete(this.#lists.keys().next().value!);
    }
    return { horizon, gids, views: await this.#views(client, gids) };
  }

  /**
   * The first position in `(from, to]` of `gid`'s log written after
   * `vs`, by binary search (positions are written in versionstamp order);
   * `to + 1` if none.
   */
  async #firstAfter(
    gid: string,
    from: number,
    to: number,
    vs: string,
  ): Promise<number> {
    let lo = from + 1;
    let hi = to + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = await this.#ctx.kv.get(this.#ctx.keys.log(gid, mid));
      // A missing entry expired or was trimmed: it was old.
      if (e.versionstamp !== null && e.versionstamp > vs) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The position in `v`'s log after which entries follow `after`. */
  async #start(v: View, after: Cursor | null): Promise<number> {
    const acked = v.ack.value ?? 0;
    if (!after) return acked;
    if (after.gid === v.gid) return Math.max(acked, after.pos);
    if (acked >= v.meta.pos) return acked;
    return (await this.#firstAfter(v.gid, acked, v.meta.pos, after.vs)) - 1;
  }

  /** Whether `client` reads `e` (at `pos` of `v`'s log). */
  async #sees(
    v: View,
    client: string,
    pos: number,
    e: LogValue,
  ): Promise<boolean> {
    if (e.kind === "welcome") {
      if (e.to) return e.to.includes(client);
      if (!e.toBlob) return false;
      const bytes = await readBlob(this.#ctx, v.gid, e.toBlob);
      return bytes !== null &&
        (JSON.parse(new TextDecoder().decode(bytes)) as string[])
          .includes(client);
    }
    return reads(v.ivs, client, pos, e.epoch, e.skip);
  }

  /** See {@link DeliveryStore.fetchInbox}. */
  async fetch(
    client: string,
    after: string | undefined,
    limit: number,
  ): Promise<InboxMessage[]> {
    // The horizon first (see the module doc).
    const { horizon, gids, views } = await this.#horizonAndViews(client);
    if (horizon === null) return [];
    this.#onGroups(client, gids);
    const a = parseCursor(after);
    const pages = await Promise.all(
      views.map((v) => this.#page(v, client, a, limit, horizon)),
    );
    const all = pages.flat();
    if (pages.length > 1) all.sort((x, y) => x.cursor < y.cursor ? -1 : 1);
    return all.length > limit ? all.slice(0, limit) : all;
  }

  /** Up to `limit` entries of one log for `client`, in order. */
  async #page(
    v: View,
    client: string,
    after: Cursor | null,
    limit: number,
    horizon: string,
  ): Promise<InboxMessage[]> {
    const k = this.#ctx.keys;
    const cache = this.#ctx.entries;
    let from = await this.#start(v, after);
    const last = Math.min(
      v.meta.pos,
      v.ivs ? lastReadable(v.ivs) : v.meta.pos,
    );
    const cutoff = Date.now() - this.#ctx.retentionMs;
    const out: InboxMessage[] = [];
    /** Takes the entry at `from + 1`; false: past the horizon. */
    const take = async (c: CachedEntry): Promise<boolean> => {
      if (c.vs > horizon) return false; // written after the clock
      from++;
      if (
        c.message && c.value.at >= cutoff &&
        await this.#sees(v, client, from, c.value)
      ) out.push(c.message);
      return true;
    };
    while (out.length < limit && from < last) {
      const hit = cache.get(v.gid, from + 1);
      if (hit) {
        if (!(await take(hit))) return out;
        continue;
      }
      const want = Math.min(1000, Math.max(limit - out.length, 16));
      let n = 0;
      for await (
        const e of this.#ctx.kv.list<LogValue>({
          start: k.log(v.gid, from + 1),
          end: k.log(v.gid, last + 1),
        }, { limit: want, batchSize: want })
      ) {
        n++;
        const pos = e.key[e.key.length - 1] as number;
        const c = await this.#entry(v.gid, pos, e.versionstamp, e.value);
        from = pos - 1; // a gap: entries that expired
        if (!(await take(c))) return out;
        if (out.length >= limit) break;
      }
      if (n < want) break; // the end of the log
    }
    return out;
  }

  /** The cached form of a log entry read from the database. */
  async #entry(
    gid: string,
    pos: number,
    vs: string,
    value: LogValue,
  ): Promise<CachedEntry> {
    const bytes = value.inline ??
      (value.blob ? await readBlob(this.#ctx, gid, value.blob) : null);
    const entry: CachedEntry = {
      vs,
      value,
      message: bytes
        ? {
          cursor: cursorOf(vs, pos, gid),
          groupId: gid,
          kind: value.kind,
          epoch: value.epoch,
          seq: value.seq,
          bytes,
        }
        : null,
    };
    this.#ctx.entries.put(gid, pos, entry);
    return entry;
  }

  /**
   * See {@link DeliveryStore.ack}: moves the client's read position in
   * each of its groups up to the cursor; returns how many of its messages
   * that acknowledged.
   */
  async ack(client: string, cursor: string): Promise<number> {
    const a = parseCursor(cursor);
    if (!a) return 0;
    const k = this.#ctx.keys;
    for (let attempt = 0; attempt < 20; attempt++) {
      const views = await this.#views(client, await this.groupsOf(client));
      const moves: { v: View; to: number }[] = [];
      let count = 0;
      for (const v of views) {
        const acked = v.ack.value ?? 0;
        const end = v.gid === a.gid
          ? Math.min(a.pos, v.meta.pos)
          : acked >= v.meta.pos
          ? acked
          : (await this.#firstAfter(v.gid, acked, v.meta.pos, a.vs)) - 1;
        if (end <= acked) continue;
        for await (
          const e of this.#ctx.kv.list<LogValue>({
            start: k.log(v.gid, acked + 1),
            end: k.log(v.gid, end + 1),
          }, { batchSize: 500 })
        ) {
          const pos = e.key[e.key.length - 1] as number;
          if (await this.#sees(v, client, pos, e.value)) count++;
        }
        moves.push({ v, to: end });
      }
      if (moves.length === 0) return 0;
      for (const m of moves) this.#ackSeen.delete(ackId(m.v.gid, client));
      if (await this.#commitAcks(client, moves)) {
        for (const m of moves) this.#acked(m.v.gid, 1);
        return count;
      }
    }
    throw new Error("acknowledgement contention: too many retries");
  }

  /** Writes read positions, checked against what was read. */
  async #commitAcks(
    client: string,
    moves: readonly { v: View; to: number }[],
  ): Promise<boolean> {
    let ok = true;
    for (let i = 0; i < moves.length; i += MAX_CHECKS) {
      const op = this.#ctx.kv.atomic();
      for (const { v, to } of moves.slice(i, i + MAX_CHECKS)) {
        op.check(v.ack).set(this.#ctx.keys.ack(v.gid, client), to);
      }
      ok = (await unlocked(() => op.commit())).ok && ok;
    }
    return ok;
  }

  /**
   * See {@link DeliveryStore.forget}: batched across streams for a few
   * milliseconds. A group's read position moves over a forgotten prefix
   * (and over entries the client does not read); forgotten entries above
   * an entry not yet forgotten stay until that one is (a reconnecting
   * stream may send them again; clients drop what sorts before their
   * cursor).
   */
  forget(client: string, cursors: readonly string[]): Promise<void> {
    for (const c of cursors) {
      const a = parseCursor(c);
      if (!a) continue;
      const byGroup = this.#forgets.get(client) ?? new Map();
      const set = byGroup.get(a.gid) ?? new Set<number>();
      set.add(a.pos);
      byGroup.set(a.gid, set);
      this.#forgets.set(client, byGroup);
    }
    this.#flushing ??= new Promise<void>((r) => setTimeout(r, 10))
      .then(() => this.#flushForgets());
    return this.#flushing;
  }

  async #flushForgets(): Promise<void> {
    this.#flushing = undefined;
    const todo = this.#forgets;
    this.#forgets = new Map();
    const pairs: { client: string; gid: string; set: Set<number> }[] = [];
    for (const [client, byGroup] of todo) {
      for (const [gid, set] of byGroup) pairs.push({ client, gid, set });
    }
    const k = this.#ctx.keys;
    for (let i = 0; i < pairs.length; i += MAX_CHECKS) {
      const part = pairs.slice(i, i + MAX_CHECKS);
      // Positions this process read or wrote last are checked as they are;
      // only the others are read.
      const acks = part.map((p) => this.#ackSeen.get(ackId(p.gid, p.client)));
      const missing = part.filter((_, j) => !acks[j]);
      for (let j = 0; j < missing.length; j += 10) {
        const got = await this.#ctx.kv.getMany<number[]>(
          missing.slice(j, j + 10).map((p) => k.ack(p.gid, p.client)),
        );
        for (const e of got) {
          const at = part.findIndex((p) =>
            k.ack(p.gid, p.client).join("\n") === e.key.join("\n")
          );
          acks[at] = e;
        }
      }
      const op = this.#ctx.kv.atomic();
      const moves: { p: (typeof part)[number]; pos: number }[] = [];
      for (const [j, p] of part.entries()) {
        const e = acks[j]!;
        let pos = e.value ?? 0;
        while (p.set.has(pos + 1)) pos++;
        if (pos === (e.value ?? 0)) continue;
        op.check(e).set(k.ack(p.gid, p.client), pos);
        moves.push({ p, pos });
      }
      if (moves.length === 0) continue;
      const res = await unlocked(() => op.commit()).catch(() => null);
      if (res?.ok) {
        for (const { p, pos } of moves) {
          this.#seen(p.gid, p.client, {
            key: k.ack(p.gid, p.client),
            value: pos,
            versionstamp: res.versionstamp,
          });
          this.#acked(p.gid, 1);
        }
        continue;
      }
      // A concurrent acknowledgement (or a stale position here): read
      // again and retry these with the next flush.
      for (const { p } of moves) {
        this.#ackSeen.delete(ackId(p.gid, p.client));
        this.forget(
          p.client,
          [...p.set].map((pos) => cursorOf("0".repeat(20), pos, p.gid)),
        );
      }
    }
  }

  /** Remembers the read position entry of (`gid`, `client`). */
  #seen(gid: string, client: string, e: Deno.KvEntryMaybe<number>): void {
    const id = ackId(gid, client);
    const had = this.#ackSeen.get(id);
    // A read that started before this process's last write ends after it.
    if (had?.versionstamp && (e.versionstamp ?? "") < had.versionstamp) {
      return;
    }
    this.#ackSeen.delete(id);
    this.#ackSeen.set(id, e);
    if (this.#ackSeen.size > ACKS_SEEN) {
      this.#ackSeen.delete(this.#ackSeen.keys().next().value!);
    }
  }

  /** Counts acknowledgements of `gid`; trims its log now and then. */
  #acked(gid: string, n: number): void {
    const c = (this.#acks.get(gid) ?? 0) + n;
    this.#acks.set(gid, c);
    // A trim lists every reader's position: at most once a second, after
    // a few acknowledgements.
    const now = Date.now();
    if (c < 32 || this.#trims.has(gid)) return;
    if (now - (this.#trimmedAt.get(gid) ?? 0) < TRIM_EVERY_MS) return;
    this.#trimmedAt.set(gid, now);
    if (this.#trimmedAt.size > LISTS) {
      this.#trimmedAt.delete(this.#trimmedAt.keys().next().value!);
    }
    this.#acks.delete(gid);
    this.#trims.set(
      gid,
      this.trim(gid).then(() => {}, () => {}).finally(() =>
        this.#trims.delete(gid)
      ),
    );
  }

  /**
   * Deletes the log entries every reader has read past: a reader's
   * position is its acknowledged one, moved over entries it does not read
   * (its own messages; written back, so each is skipped once). Returns how
   * many entries went.
   */
  async trim(gid: string): Promise<number> {
    const ctx = this.#ctx;
    const k = ctx.keys;
    const st = await readGroup(ctx, gid);
    if (!st) return 0;
    const meta = st.meta.value;
    const acks = new Map<string, Deno.KvEntry<number>>();
    for await (const e of ctx.kv.list<number>({ prefix: k.ack(gid) })) {
      acks.set(e.key[e.key.length - 1] as string, e);
    }
    const v: View = {
      gid,
      meta,
      roster: st.roster,
      ivs: undefined,
      ack: { key: [], value: null, versionstamp: null },
    };
    // Each reader's position, and the last it can read.
    const readers = st.roster.raw.readers.map(([client, ivs]) => {
      const e = acks.get(client);
      const cur = e?.value ?? Math.min(...ivs.map((iv) => iv.from));
      return {
        client,
        ivs,
        e,
        start: cur,
        cur,
        last: Math.min(meta.pos, lastReadable(ivs)),
      };
    });
    const holds = (r: (typeof readers)[number]) =>
      !(r.cur >= r.last && r.ivs.every((iv) => iv.to !== null));
    // The lowest readers move over what they do not read (a bounded look
    // each, a few readers per trim): a poster never acknowledges its own
    // messages. Others stay where they acknowledged.
    for (let round = 0; round < 8; round++) {
      let min: (typeof readers)[number] | undefined;
      for (const r of readers) {
        if (holds(r) && r.cur < r.last && (!min || r.cur < min.cur)) min = r;
      }
      if (!min) break;
      const before = min.cur;
      for await (
        const le of ctx.kv.list<LogValue>({
          start: k.log(gid, min.cur + 1),
          end: k.log(gid, min.last + 1),
        }, { limit: 256, batchSize: 256 })
      ) {
        const pos = le.key[le.key.length - 1] as number;
        if (
          await this.#sees({ ...v, ivs: min.ivs }, min.client, pos, le.value)
        ) {
          break;
        }
        min.cur = pos;
      }
      if (min.cur === before) break; // it reads the next one: it holds
    }
    let low = meta.pos;
    for (const r of readers) if (holds(r)) low = Math.min(low, r.cur);
    const moved = readers.filter((r) => r.cur > r.start);
    for (const m of moved) this.#ackSeen.delete(ackId(gid, m.client));
    for (let i = 0; i < moved.length; i += MAX_CHECKS) {
      const op = ctx.kv.atomic();
      for (const m of moved.slice(i, i + MAX_CHECKS)) {
        op.check(m.e ?? { key: k.ack(gid, m.client), versionstamp: null })
          .set(k.ack(gid, m.client), m.cur);
      }
      await unlocked(() => op.commit()).catch(() => {});
    }
    let n = 0;
    // Also what is past the retention period, read or not (Deno KV
    // expires it too, but lazily).
    const cutoff = Date.now() - ctx.retentionMs;
    for (let more = true; more;) {
      const keys: Deno.KvKey[] = [];
      let entries = 0;
      more = false;
      for await (
        const e of ctx.kv.list<LogValue>({
          start: k.log(gid, 0),
          end: k.log(gid, meta.pos + 1),
        }, { limit: DELETE_BATCH, batchSize: DELETE_BATCH })
      ) {
        const pos = e.key[e.key.length - 1] as number;
        if (pos > low && e.value.at >= cutoff) break;
        more = entries === DELETE_BATCH - 1;
        keys.push(e.key);
        entries++;
        for (const ref of [e.value.blob, e.value.toBlob]) {
          if (!ref) continue;
          for (let i = 0; i < ref.parts; i++) {
            keys.push([...k.blob(gid, ref.id), i]);
          }
        }
      }
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const op = ctx.kv.atomic();
        for (const key of keys.slice(i, i + DELETE_BATCH)) op.delete(key);
        await unlocked(() => op.commit());
      }
      n += entries;
    }
    return n;
  }

  /** Waits for batched acknowledgements and trims. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    while (this.#trims.size > 0) {
      await Promise.all([...this.#trims.values()]);
    }
  }
}
