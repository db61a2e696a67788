/**
 * Wake-ups across service nodes for the Postgres store: LISTEN/NOTIFY on
 * one channel, {@link CHANNEL}, with small payloads sent by the accepting
 * transaction (delivered by Postgres at commit, in commit order, to every
 * node, the sender included):
 *
 * - `g <group> <first> <last>`: a group message was accepted, using log
 *   positions `first..last`; wakes the subscribers of every client that
 *   reads the group (per-group wake-ups, as on the other stores);
 * - `c <prefix>,<prefix>,…`: clients whose ids start with these
 *   {@link PREFIX} characters started reading a group (added by a commit,
 *   or sent a Welcome); their groups are read again and their subscribers
 *   woken. Client ids are hex of public keys (up to kilobytes for
 *   post-quantum ones), so prefixes keep payloads short; a shared prefix
 *   only costs a spurious wake-up.
 *
 * A missed notification must not lose a wake-up (the messages themselves
 * are in the database; a wake-up only makes a reader look): positions are
 * handed out in commit order, so a `g` whose `first` is not the last seen
 * `last + 1` reveals a gap, and every subscriber is woken to catch up. The
 * same happens when the listening connection is re-established (the client
 * library reconnects and listens again), and when a periodic check finds
 * that positions committed by the previous check were never announced.
 *
 * @module
 */

import { Notifier, type Subscription } from "./notifier.ts";
import { num, type Sql } from "./pg_sql.ts";

/** The channel of every wake-up. */
export const CHANNEL = "webmls_wake";

/** Characters of a client id in a `c` notification. */
export const PREFIX = 32;

/** Clients per `c` notification (payloads stay below 8000 bytes). */
export const CLIENTS_PER_NOTIFY = 200;

/** Listens, and wakes this node's subscribers. */
export class PgWake {
  readonly #sql: Sql;
  readonly #notifier = new Notifier();
  /** The last position of the last `g` seen, `-1` before the first. */
  #high = -1;
  #listening = 0;
  #unlisten: (() => Promise<void>) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The counter at the previous check. */
  #counterBefore = -1;
  /** Id prefix -> subscribed clients with it. */
  readonly #byPrefix = new Map<string, Set<string>>();
  /** Wake-ups of all subscribers for a gap or a reconnect (tests). */
  catchUps = 0;

  /** @param sql the pool to listen on (a connection of its own) */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Starts listening; `checkMs`: period of the counter check. */
  async start(checkMs = 2000): Promise<void> {
    const [row] = await this.#sql`SELECT n FROM counter`;
    this.#high = num(row.n);
    const meta = await this.#sql.listen(
      CHANNEL,
      (payload) => this.#onMessage(payload),
      () => {
        // The first call is the initial LISTEN; later ones are reconnects,
        // after which anything may have been missed.
        if (this.#listening++ > 0) this.#wakeAll();
      },
    );
    this.#unlisten = meta.unlisten;
    this.#timer = setInterval(() => this.#check(), checkMs);
  }

  async #check(): Promise<void> {
    try {
      const [row] = await this.#sql`SELECT n FROM counter`;
      // Positions committed one period ago that were never announced: a
      // notification was lost (ones in flight now are not counted).
      if (this.#counterBefore > this.#high) {
        this.#high = this.#counterBefore;
        this.#wakeAll();
      }
      this.#counterBefore = num(row.n);
    } catch {
      // The database is unreachable: the next check tries again.
    }
  }

  #onMessage(payload: string): void {
    const [kind, a, b, c] = payload.split(" ");
    if (kind === "g") {
      const first = Number(b);
      const last = Number(c);
      if (this.#high >= 0 && first > this.#high + 1) this.#wakeAll();
      if (last > this.#high) this.#high = last;
      this.#notifier.notifyGroup(a);
    } else if (kind === "c") {
      for (const p of a.split(",")) {
        for (const client of this.#byPrefix.get(p) ?? []) {
          void this.refreshGroups(client).catch(() => {});
        }
      }
    }
  }

  #wakeAll(): void {
    this.catchUps++;
    this.#notifier.notifyAll();
  }

  /** Reads the groups `client` reads again, then wakes it. */
  async refreshGroups(client: string): Promise<void> {
    try {
      const rows = await this.#sql`
        SELECT DISTINCT group_id FROM memberships WHERE client_id = ${client}`;
      this.#notifier.setGroups(client, rows.map((r) => r.group_id as string));
    } finally {
      this.#notifier.notify([client]);
    }
  }

  /** A subscription to `client`'s inbox, woken by its groups. */
  async subscribe(client: string): Promise<Subscription> {
    const p = client.slice(0, PREFIX);
    const set = this.#byPrefix.get(p) ?? new Set<string>();
    set.add(client);
    this.#byPrefix.set(p, set);
    const sub = this.#notifier.subscribe(client, () => {
      if (this.#notifier.subscribed(client)) return;
      const now = this.#byPrefix.get(p);
      now?.delete(client);
      if (now?.size === 0) this.#byPrefix.delete(p);
    });
    const rows = await this.#sql`
      SELECT DISTINCT group_id FROM memberships WHERE client_id = ${client}`;
    if (!sub.closed) {
      this.#notifier.setGroups(client, rows.map((r) => r.group_id as string));
    }
    return sub;
  }

  /** Stops listening and closes every subscription. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#notifier.closeAll();
    try {
      await this.#unlisten?.();
    } catch { /* the connection is gone already */ }
  }
}
