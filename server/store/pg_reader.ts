/**
 * Reading on the Postgres store (fan-out on read, issue 23): a client's
 * view is its Welcomes (`inbox`) merged with the entries of the group logs
 * it reads, by position. It reads a log entry exactly when the entry lies
 * in one of its membership intervals (`from_pos < pos <= to_pos`), the
 * interval's `since` is at most the entry's epoch, and it is not the
 * entry's poster (`skip`), as `planAccept` routed it; entries past the
 * retention period are not read. Acknowledgement moves the client's
 * position (`readers.acked`); `forget` records positions above it and moves
 * it over them while they are at its front.
 *
 * A log entry is deleted once every reader's position is past it, where a
 * reader's position is moved over the entries it does not read (its own
 * messages), or once the retention period ended.
 *
 * @module
 */

import { bytes, num, type Sql, type Tx } from "./pg_sql.ts";
import type { InboxMessage, MessageKind } from "./store.ts";

/** Cursors: positions, zero-padded hex so that strings sort as numbers. */
export function cursorOf(n: number): string {
  return n.toString(16).padStart(20, "0");
}

/** A cursor's position; 0 for none or garbage. */
export function position(cursor: string | undefined): number {
  const n = cursor === undefined || !/^[0-9a-f]{1,20}$/.test(cursor)
    ? NaN
    : parseInt(cursor, 16);
  return Number.isFinite(n) ? n : 0;
}

/** Options of the view query. */
interface ViewOptions {
  /** Positions after this one. */
  after: number;
  /** And after the client's acknowledged position. */
  afterAcked?: boolean;
  /** At most this many. */
  limit: number;
  /** Up to and including this position. */
  upTo?: number;
  /** Leave out what a stream forgot. */
  skipForgotten: boolean;
  /** Accepted before this (ms) is past the retention period. */
  cutoff: number;
  /** Only the positions (no bytes). */
  positionsOnly?: boolean;
}

/** The client's view: see the module documentation. */
async function view(
  sql: Sql | Tx,
  client: string,
  o: ViewOptions,
): Promise<{ pos: number; message?: InboxMessage }[]> {
  const upTo = o.upTo ?? Number.MAX_SAFE_INTEGER;
  const skipF = o.skipForgotten;
  const after = o.afterAcked
    ? sql`greatest(${o.after}::bigint, coalesce((SELECT acked FROM readers
        WHERE client_id = ${client}), 0))`
    : sql`${o.after}::bigint`;
  const rows = await sql`
    SELECT pos::float8 AS pos, group_id, kind, epoch, seq::float8 AS seq,
      ${o.positionsOnly ? sql`NULL::bytea` : sql`bytes`} AS bytes
    FROM (
      (SELECT l.pos, l.group_id, l.kind, l.epoch, l.seq, l.bytes
        FROM memberships m JOIN group_log l ON l.group_id = m.group_id
          AND l.pos > m.from_pos AND l.pos > ${after} AND l.pos <= ${upTo}
          AND (m.to_pos IS NULL OR l.pos <= m.to_pos)
        WHERE m.client_id = ${client}
          AND (m.to_pos IS NULL OR m.to_pos > ${after})
          AND m.since <= l.epoch AND l.at >= ${o.cutoff}
          AND (l.skip IS NULL OR l.skip <> ${client})
          AND (NOT ${skipF} OR NOT EXISTS (SELECT 1 FROM forgotten f
            WHERE f.client_id = ${client} AND f.pos = l.pos))
        ORDER BY l.pos LIMIT ${o.limit})
      UNION ALL
      (SELECT i.pos, i.group_id, 'welcome', i.epoch, i.seq, i.bytes
        FROM inbox i
        WHERE i.client_id = ${client} AND i.pos > ${after}
          AND i.pos <= ${upTo}
          AND (NOT ${skipF} OR NOT EXISTS (SELECT 1 FROM forgotten f
            WHERE f.client_id = ${client} AND f.pos = i.pos))
        ORDER BY i.pos LIMIT ${o.limit})
    ) v ORDER BY pos LIMIT ${o.limit}`;
  return rows.map((r) => ({
    pos: r.pos as number,
    message: o.positionsOnly ? undefined : {
      cursor: cursorOf(r.pos),
      groupId: r.group_id,
      kind: r.kind as MessageKind,
      epoch: r.epoch,
      seq: r.seq,
      bytes: bytes(r.bytes),
    },
  }));
}

/**
 * Starts an acknowledgement: the client's acknowledged position, locked
 * for this transaction, and the last position handed out. The commit
 * need not wait for the disk (`synchronous_commit = off`): an
 * acknowledgement lost in a crash only means messages come again, which
 * clients handle (at-least-once delivery), while accepts stay durable.
 */
async function lockReader(
  tx: Tx,
  client: string,
): Promise<{ done: number; top: number }> {
  const [, [r], [c]] = await Promise.all([
    tx`SET LOCAL synchronous_commit = off`,
    tx`
      INSERT INTO readers (client_id, acked) VALUES (${client}, 0)
      ON CONFLICT (client_id) DO UPDATE SET acked = readers.acked
      RETURNING acked`,
    tx`SELECT n FROM counter`,
  ]);
  return { done: num(r.acked), top: num(c.n) };
}

/** Reading, acknowledging and trimming; see the module documentation. */
export class PgReader {
  readonly #sql: Sql;
  readonly #retentionMs: number;
  /** Group -> when this process last trimmed its log (ms). */
  readonly #trimmed = new Map<string, number>();
  /** Trims under way (awaited by {@link PgReader.settle}). */
  readonly #pending = new Set<Promise<void>>();
  /** Forgets waiting for the next batch, by client. */
  #queue = new Map<
    string,
    { cursors: string[]; waiters: PromiseWithResolvers<void>[] }
  >();
  /** The batch loop, while it runs. */
  #flushing: Promise<void> | undefined;

  /**
   * @param sql the pool
   * @param retentionMs how long unread group messages are kept
   */
  constructor(sql: Sql, retentionMs: number) {
    this.#sql = sql;
    this.#retentionMs = retentionMs;
  }

  #cutoff(): number {
    return Date.now() - this.#retentionMs;
  }

  /** See {@link DeliveryStore.fetchInbox}. */
  async fetch(
    client: string,
    after: string | undefined,
    limit: number,
  ): Promise<InboxMessage[]> {
    const rows = await view(this.#sql, client, {
      after: position(after),
      afterAcked: true,
      limit: Math.max(0, Math.floor(limit)),
      skipForgotten: true,
      cutoff: this.#cutoff(),
    });
    return rows.map((e) => e.message!);
  }

  /** See {@link DeliveryStore.ack}. */
  async ack(client: string, cursor: string): Promise<number> {
    const out = await this.#sql.begin(async (tx) => {
      const { done, top } = await lockReader(tx, client);
      const pos = Math.min(position(cursor), top);
      if (pos <= done) return { n: 0, groups: [] as string[] };
      const [{ n }] = await tx`
        SELECT count(*)::int AS n FROM (SELECT 1
          FROM memberships m JOIN group_log l ON l.group_id = m.group_id
            AND l.pos > m.from_pos AND l.pos > ${done} AND l.pos <= ${pos}
            AND (m.to_pos IS NULL OR l.pos <= m.to_pos)
          WHERE m.client_id = ${client} AND m.since <= l.epoch
            AND l.at >= ${this.#cutoff()}
            AND (l.skip IS NULL OR l.skip <> ${client})
            AND NOT EXISTS (SELECT 1 FROM forgotten f
              WHERE f.client_id = ${client} AND f.pos = l.pos)
          UNION ALL SELECT 1 FROM inbox i
          WHERE i.client_id = ${client} AND i.pos > ${done}
            AND i.pos <= ${pos}
            AND NOT EXISTS (SELECT 1 FROM forgotten f
              WHERE f.client_id = ${client} AND f.pos = i.pos)) x`;
      return { n: n as number, groups: await advance(tx, client, pos) };
    });
    this.#trimLater(out.groups);
    return out.n;
  }

  /**
   * See {@link DeliveryStore.forget}. Forgets are batched per process:
   * those made while a batch is being written go into the next one, one
   * transaction for every client in it (streams acknowledge each message,
   * so a group message to 100 members would otherwise cost 100).
   */
  forget(client: string, cursors: readonly string[]): Promise<void> {
    if (cursors.length === 0) return Promise.resolve();
    const q = this.#queue.get(client) ?? { cursors: [], waiters: [] };
    q.cursors.push(...cursors);
    const w = Promise.withResolvers<void>();
    q.waiters.push(w);
    this.#queue.set(client, q);
    this.#flushing ??= this.#flush();
    return w.promise;
  }

  async #flush(): Promise<void> {
    // The forgets of this turn join the first batch.
    await new Promise((r) => setTimeout(r, 0));
    while (this.#queue.size > 0) {
      // Sorted: batches of several nodes lock reader rows in one order.
      const batch = [...this.#queue].sort(([a], [b]) => a < b ? -1 : 1);
      this.#queue = new Map();
      try {
        this.#trimLater(
          await this.#forgetBatch(batch.map(([c, q]) => [c, q.cursors])),
        );
        for (const [, q] of batch) for (const w of q.waiters) w.resolve();
      } catch (e) {
        for (const [, q] of batch) for (const w of q.waiters) w.reject(e);
      }
    }
    this.#flushing = undefined;
  }

  /**
   * One transaction for the forgets of several clients: each client's
   * positions are recorded, and its acknowledged position moves up to just
   * before its first entry not forgotten (every position up to it is
   * committed: positions commit in order), or to the last one forgotten
   * when none follows. Returns the groups whose logs may be trimmed.
   */
  async #forgetBatch(
    items: readonly [string, readonly string[]][],
  ): Promise<string[]> {
    return await this.#sql.begin(async (tx) => {
      const clients = items.map(([c]) => c);
      const [, rows, [c]] = await Promise.all([
        tx`SET LOCAL synchronous_commit = off`,
        tx`
          INSERT INTO readers (client_id, acked)
          SELECT c, 0 FROM unnest(${clients}::text[]) AS c
          ON CONFLICT (client_id) DO UPDATE SET acked = readers.acked
          RETURNING client_id, acked`,
        tx`SELECT n FROM counter`,
      ]);
      const top = num(c.n);
      const doneOf = new Map(
        rows.map((r) => [r.client_id as string, num(r.acked)]),
      );
      const work = items.map(([client, cursors]) => {
        const done = doneOf.get(client) ?? 0;
        const ps = [...new Set(cursors.map(position))]
          .filter((p) => p > done && p <= top);
        return { client, done, ps };
      }).filter((w) => w.ps.length > 0);
      if (work.length === 0) return [];
      // Sent now, ahead of the views' queries (which start when called).
      const insert = tx`
        INSERT INTO forgotten (client_id, pos)
        SELECT * FROM unnest(
          ${work.flatMap((w) => w.ps.map(() => w.client))}::text[],
          ${work.flatMap((w) => w.ps)}::bigint[])
        ON CONFLICT DO NOTHING`.execute();
      const firsts = work.map((w) =>
        view(tx, w.client, {
          after: w.done,
          limit: 1,
          skipForgotten: true,
          cutoff: this.#cutoff(),
          positionsOnly: true,
        })
      );
      const [, fs, ls] = await Promise.all([
        insert,
        Promise.all(firsts),
        tx`
          SELECT client_id, max(pos)::float8 AS pos FROM forgotten
          WHERE client_id = ANY(${work.map((w) => w.client)}::text[])
          GROUP BY client_id`,
      ]);
      const lastOf = new Map(
        ls.map((r) => [r.client_id as string, r.pos as number]),
      );
      const moves = work.map((w, i) => {
        const first = fs[i][0];
        const pos = first ? first.pos - 1 : lastOf.get(w.client) ?? w.done;
        return { client: w.client, done: w.done, pos };
      }).filter((m) => m.pos > m.done);
      const groups = await Promise.all(
        moves.map((m) => advance(tx, m.client, m.pos)),
      );
      return [...new Set(groups.flat())];
    });
  }

  /** Trims these groups' logs, each at most once a second per process. */
  #trimLater(groups: readonly string[]): void {
    const now = Date.now();
    for (const g of groups) {
      if ((this.#trimmed.get(g) ?? 0) > now - 1000) continue;
      this.#trimmed.set(g, now);
      const p: Promise<void> = this.trim(g).catch(() => {}).finally(() =>
        this.#pending.delete(p)
      );
      this.#pending.add(p);
    }
    if (this.#trimmed.size > 10_000) this.#trimmed.clear();
  }

  /** Waits for the trims under way. */
  async settle(): Promise<void> {
    await this.#flushing;
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Deletes the entries of `gid`'s log that no reader will read. */
  async trim(gid: string): Promise<void> {
    await this.#sql`
      WITH r AS (
        SELECT DISTINCT m.client_id, coalesce(rd.acked, 0) AS acked
        FROM memberships m LEFT JOIN readers rd ON rd.client_id = m.client_id
        WHERE m.group_id = ${gid}
      ), f AS (
        SELECT (SELECT min(l.pos) FROM group_log l JOIN memberships m
            ON m.group_id = l.group_id AND m.client_id = r.client_id
            AND l.pos > m.from_pos AND (m.to_pos IS NULL OR l.pos <= m.to_pos)
          WHERE l.group_id = ${gid} AND l.pos > r.acked
            AND m.since <= l.epoch
            AND (l.skip IS NULL OR l.skip <> r.client_id)) AS first
        FROM r
      )
      DELETE FROM group_log WHERE group_id = ${gid} AND (at < ${this.#cutoff()}
        OR pos < coalesce((SELECT min(first) FROM f), ${Number.MAX_SAFE_INTEGER}))`;
  }
}

/**
 * Moves `client`'s acknowledged position to `pos`: its Welcomes and
 * forgotten positions up to it go, and so do memberships that end before
 * it (a removed member past its last entry reads no more). Returns the
 * groups whose logs may now be trimmed.
 */
async function advance(tx: Tx, client: string, pos: number): Promise<string[]> {
  // One pipeline, run in this order.
  const [, , , ended, open] = await Promise.all([
    tx`UPDATE readers SET acked = ${pos} WHERE client_id = ${client}`,
    tx`DELETE FROM inbox WHERE client_id = ${client} AND pos <= ${pos}`,
    tx`DELETE FROM forgotten WHERE client_id = ${client} AND pos <= ${pos}`,
    tx`
      DELETE FROM memberships WHERE client_id = ${client}
        AND to_pos IS NOT NULL AND to_pos <= ${pos}
      RETURNING group_id`,
    tx`
      SELECT DISTINCT group_id FROM memberships WHERE client_id = ${client}`,
  ]);
  return [
    ...new Set([
      ...ended.map((r) => r.group_id as string),
      ...open.map((r) => r.group_id as string),
    ]),
  ];
}
