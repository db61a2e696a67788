/**
 * {@link DeliveryStore} on Postgres (npm `postgres`), for several service
 * nodes on one database (issue 19). The schema is migrated at start
 * (`pg_schema.ts`); accepts are transactions that lock the group row
 * (`pg_accept.ts`); reads are fan-out on read (`pg_reader.ts`); nodes wake
 * each other's streams and long polls with LISTEN/NOTIFY (`pg_wake.ts`).
 *
 * @module
 */

import { groupRecord, pgAccept } from "./pg_accept.ts";
import {
  claimKeyPackage,
  claimKeyPackageLimited,
  countKeyPackagesByKind,
  putChallenge,
  putKeyPackage,
  takeChallenge,
} from "./pg_keys.ts";
import { PgExportStore } from "../exports/pg_store.ts";
import { PgNameStore } from "./pg_names.ts";
import { PgReader } from "./pg_reader.ts";
import { migrate } from "./pg_schema.ts";
import { bytes, connect, num, type Sql } from "./pg_sql.ts";
import { PgWake } from "./pg_wake.ts";
import type {
  AcceptRequest,
  AcceptResult,
  ClaimLimits,
  ClaimResult,
  ClientRecord,
  DeliveryStore,
  GroupRecord,
  InboxMessage,
  InboxSubscription,
  KeyPackageCounts,
  NewGroup,
  PutKeyPackageResult,
  StoredKeyPackage,
} from "./store.ts";

/** Options of {@link PgStore.open}. */
export interface PgStoreOptions {
  /** Connections in the pool (default 10), besides the listening one. */
  maxConnections?: number;
  /**
   * How long group messages are kept when not every reader has read
   * them, ms (default 30 days, as on the other stores).
   */
  retentionMs?: number;
  /** Period of the check for missed notifications, ms (default 2000). */
  wakeCheckMs?: number;
}

/** A {@link DeliveryStore} on Postgres; see the module documentation. */
export class PgStore implements DeliveryStore {
  readonly #sql: Sql;
  readonly #reader: PgReader;
  readonly #wake: PgWake;
  #closed = false;

  private constructor(sql: Sql, options: PgStoreOptions) {
    this.#sql = sql;
    this.#reader = new PgReader(
      sql,
      options.retentionMs ?? 30 * 24 * 3600 * 1000,
    );
    this.#wake = new PgWake(sql);
  }

  /**
   * Connects to `url`, applies the migrations, starts listening.
   *
   * @example
   * ```ts ignore
   * const store = await PgStore.open("postgres://app@db:5432/webmls");
   * ```
   */
  static async open(
    url: string,
    options: PgStoreOptions = {},
  ): Promise<PgStore> {
    const sql = connect(url, options.maxConnections ?? 10);
    try {
      await migrate(sql);
      const store = new PgStore(sql, options);
      await store.#wake.start(options.wakeCheckMs);
      return store;
    } catch (e) {
      await sql.end({ timeout: 1 });
      throw e;
    }
  }

  /** Display names in the same database (closed with this store). */
  names(): PgNameStore {
    return new PgNameStore(this.#sql);
  }

  /** The key export service's store in the same database. */
  exports(): PgExportStore {
    return new PgExportStore(this.#sql);
  }

  /** Wake-ups of all subscribers after a missed notification (tests). */
  get catchUps(): number {
    return this.#wake.catchUps;
  }

  /** See {@link DeliveryStore.registerClient}. */
  async registerClient(record: ClientRecord): Promise<boolean> {
    const rows = await this.#sql`
      INSERT INTO clients (client_id, token_hash, created_at)
      VALUES (${record.clientId}, ${record.tokenHash}, ${record.createdAt})
      ON CONFLICT (client_id) DO NOTHING RETURNING 1`;
    return rows.length === 1;
  }

  /** See {@link DeliveryStore.clientByTokenHash}. */
  async clientByTokenHash(tokenHash: string): Promise<string | null> {
    const [r] = await this.#sql`
      SELECT client_id FROM clients WHERE token_hash = ${tokenHash}`;
    return r ? r.client_id : null;
  }

  /** See {@link DeliveryStore.hasClient}. */
  async hasClient(clientId: string): Promise<boolean> {
    const [r] = await this.#sql`
      SELECT 1 FROM clients WHERE client_id = ${clientId}`;
    return r !== undefined;
  }

  /** See {@link DeliveryStore.putKeyPackage}. */
  putKeyPackage(
    owner: string,
    kp: StoredKeyPackage,
    max: number,
  ): Promise<PutKeyPackageResult> {
    return putKeyPackage(this.#sql, owner, kp, max);
  }

  /** See {@link DeliveryStore.claimKeyPackage}. */
  claimKeyPackage(
    owner: string,
    nowSeconds: number,
  ): Promise<StoredKeyPackage | null> {
    return claimKeyPackage(this.#sql, owner, nowSeconds);
  }

  /** See {@link DeliveryStore.countKeyPackages}. */
  async countKeyPackages(owner: string): Promise<number> {
    const [r] = await this.#sql`
      SELECT count(*)::int AS n FROM key_packages WHERE owner = ${owner}`;
    return r.n;
  }

  /** See {@link DeliveryStore.keyPackageOwners}. */
  async keyPackageOwners(refs: readonly string[]): Promise<(string | null)[]> {
    const rows = await this.#sql`
      SELECT ref, owner FROM key_package_refs
      WHERE ref = ANY(${[...refs]}::text[])`;
    const m = new Map(rows.map((r) => [r.ref as string, r.owner as string]));
    return refs.map((r) => m.get(r) ?? null);
  }

  /** See {@link DeliveryStore.createGroup}. */
  async createGroup(g: NewGroup): Promise<boolean> {
    return await this.#sql.begin(async (tx) => {
      const members = JSON.stringify(
        g.members.map((clientId) => ({ clientId, since: g.epoch })),
      );
      const rows = await tx`
        INSERT INTO groups (group_id, epoch, seq, external_joins, handshakes,
          members, group_info, group_info_epoch)
        VALUES (${g.groupId}, ${g.epoch}, 0, ${g.externalJoins},
          ${g.handshakes ?? null}, ${members}::text::jsonb, ${g.groupInfo},
          ${g.epoch})
        ON CONFLICT (group_id) DO NOTHING RETURNING 1`;
      if (rows.length === 0) return false;
      // Members read what is accepted after now: positions above the
      // counter (any later accept of this group takes a higher one).
      const [c] = await tx`SELECT n FROM counter`;
      const clients = [...new Set(g.members)];
      await tx`
        INSERT INTO memberships (group_id, client_id, since, from_pos)
        SELECT ${g.groupId}, c, ${g.epoch}, ${num(c.n)}
        FROM unnest(${clients}::text[]) AS c`;
      const joined = [...new Set(g.joined ?? [])];
      await tx`
        INSERT INTO joined (group_id, client_id, since)
        SELECT ${g.groupId}, c, ${g.epoch} FROM unnest(${joined}::text[]) AS c`;
      return true;
    });
  }

  /** See {@link DeliveryStore.getGroup}. */
  async getGroup(groupId: string): Promise<GroupRecord | null> {
    const [r] = await this.#sql`
      SELECT group_id, epoch, seq, external_joins, handshakes, members
      FROM groups WHERE group_id = ${groupId}`;
    return r ? groupRecord(r) : null;
  }

  /** See {@link DeliveryStore.groupsOf}. */
  async groupsOf(clientId: string): Promise<string[]> {
    const rows = await this.#sql`
      SELECT group_id FROM memberships
      WHERE client_id = ${clientId} AND to_pos IS NULL ORDER BY group_id`;
    return rows.map((r) => r.group_id);
  }

  /** See {@link DeliveryStore.accept}. */
  accept(req: AcceptRequest): Promise<AcceptResult> {
    return pgAccept(this.#sql, req);
  }

  /** See {@link DeliveryStore.putGroupInfo}. */
  async putGroupInfo(
    groupId: string,
    epoch: number,
    groupInfo: Uint8Array,
  ): Promise<AcceptResult> {
    const [r] = await this.#sql`
      UPDATE groups SET group_info = ${groupInfo}, group_info_epoch = ${epoch}
      WHERE group_id = ${groupId} AND epoch = ${epoch} RETURNING seq`;
    if (r) return { ok: true, epoch, seq: num(r.seq) };
    const [g] = await this.#sql`
      SELECT epoch FROM groups WHERE group_id = ${groupId}`;
    return g
      ? { ok: false, reason: "epoch_conflict", epoch: g.epoch }
      : { ok: false, reason: "unknown_group" };
  }

  /** See {@link DeliveryStore.getGroupInfo}. */
  async getGroupInfo(
    groupId: string,
  ): Promise<{ epoch: number; bytes: Uint8Array } | null> {
    const [r] = await this.#sql`
      SELECT group_info_epoch, group_info FROM groups
      WHERE group_id = ${groupId}`;
    return r ? { epoch: r.group_info_epoch, bytes: bytes(r.group_info) } : null;
  }

  /** See {@link DeliveryStore.fetchInbox}. */
  fetchInbox(
    clientId: string,
    after: string | undefined,
    limit: number,
  ): Promise<InboxMessage[]> {
    return this.#reader.fetch(clientId, after, limit);
  }

  /** See {@link DeliveryStore.ack}. */
  ack(clientId: string, cursor: string): Promise<number> {
    return this.#reader.ack(clientId, cursor);
  }

  /** See {@link DeliveryStore.forget}. */
  forget(clientId: string, cursors: readonly string[]): Promise<void> {
    return this.#reader.forget(clientId, cursors);
  }

  /** See {@link DeliveryStore.subscribe}. */
  subscribe(clientId: string): Promise<InboxSubscription> {
    return this.#wake.subscribe(clientId);
  }

  /** Trims a group's log now (tests; acknowledgements trim in the background). */
  async trim(groupId: string): Promise<void> {
    await this.#reader.settle();
    await this.#reader.trim(groupId);
  }

  /** See {@link DeliveryStore.close}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#wake.stop();
    await this.#reader.settle();
    await this.#sql.end({ timeout: 5 });
  }

  /** See {@link DeliveryStore.putChallenge}. */
  putChallenge(challenge: string, now: number, ttlMs: number): Promise<void> {
    return putChallenge(this.#sql, challenge, now, ttlMs);
  }

  /** See {@link DeliveryStore.takeChallenge}. */
  takeChallenge(challenge: string, now: number): Promise<boolean> {
    return takeChallenge(this.#sql, challenge, now);
  }

  /** See {@link DeliveryStore.rotateToken}. */
  async rotateToken(clientId: string, tokenHash: string): Promise<boolean> {
    const rows = await this.#sql`
      UPDATE clients SET token_hash = ${tokenHash}
      WHERE client_id = ${clientId} RETURNING 1`;
    return rows.length === 1;
  }

  /** See {@link DeliveryStore.claimKeyPackageLimited}. */
  claimKeyPackageLimited(
    owner: string,
    requester: string,
    nowSeconds: number,
    limits: ClaimLimits | false,
  ): Promise<ClaimResult> {
    return claimKeyPackageLimited(
      this.#sql,
      owner,
      requester,
      nowSeconds,
      limits,
    );
  }

  /** See {@link DeliveryStore.countKeyPackagesByKind}. */
  countKeyPackagesByKind(
    owner: string,
    nowSeconds: number,
  ): Promise<KeyPackageCounts> {
    return countKeyPackagesByKind(this.#sql, owner, nowSeconds);
  }

  /** See {@link DeliveryStore.getProposal}. */
  async getProposal(
    groupId: string,
    epoch: number,
    ref: string,
  ): Promise<Uint8Array | null> {
    const [r] = await this.#sql`
      SELECT bytes FROM proposals
      WHERE group_id = ${groupId} AND ref = ${ref} AND epoch = ${epoch}`;
    return r ? bytes(r.bytes) : null;
  }

  /** See {@link DeliveryStore.markJoined}. */
  async markJoined(groupId: string, clientId: string): Promise<void> {
    await this.#sql`
      INSERT INTO joined (group_id, client_id, since)
      SELECT m.group_id, m.client_id, m.since FROM memberships m
      WHERE m.group_id = ${groupId} AND m.client_id = ${clientId}
        AND m.to_pos IS NULL
        -- Marked already (every post marks): no write, so no commit to
        -- wait for.
        AND NOT EXISTS (SELECT 1 FROM joined j
          WHERE j.group_id = m.group_id AND j.client_id = m.client_id
            AND j.since = m.since)
      ON CONFLICT (group_id, client_id) DO UPDATE SET since = EXCLUDED.since`;
  }

  /** See {@link DeliveryStore.joinedMembers}. */
  async joinedMembers(groupId: string): Promise<string[]> {
    // A joined mark counts only for the membership it was made in.
    const [g] = await this.#sql`
      SELECT members FROM groups WHERE group_id = ${groupId}`;
    if (!g) return [];
    const rows = await this.#sql`
      SELECT client_id, since FROM joined WHERE group_id = ${groupId}`;
    const since = new Map(rows.map((r) => [r.client_id, r.since]));
    return (g.members as GroupRecord["members"])
      .filter((m) => since.get(m.clientId) === m.since)
      .map((m) => m.clientId);
  }

  /** See {@link DeliveryStore.joinedGroupsOf}. */
  async joinedGroupsOf(clientId: string): Promise<string[]> {
    const rows = await this.#sql`
      SELECT j.group_id FROM joined j JOIN memberships m
        ON m.group_id = j.group_id AND m.client_id = j.client_id
        AND m.to_pos IS NULL AND m.since = j.since
      WHERE j.client_id = ${clientId} ORDER BY j.group_id`;
    return rows.map((r) => r.group_id);
  }
}
