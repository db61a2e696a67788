/**
 * {@link DeliveryStore} on Deno KV: a local SQLite file for `deno task
 * start`, the distributed KV on Deno Deploy, the same code for both. Epoch
 * ordering uses atomic operations checked against the group record's
 * versionstamp (see `kv_accept.ts`), so several server processes can share
 * one database. Inbox order is the versionstamp order of the writes, which
 * the database makes total; `kv_sequencer.ts` turns it into a per-client
 * log that `kv_inbox.ts` reads by range from the cursor.
 *
 * @module
 */

import {
  type AcceptContext,
  groupInfoWrites,
  kvAccept,
  readGroup,
} from "./kv_accept.ts";
import { chunks, readChunks } from "./kv_chunks.ts";
import { kvClaimLimited, kvCountByKind } from "./kv_claims.ts";
import { KvInbox } from "./kv_inbox.ts";
import { joinedMembers, joinedOf, markJoined } from "./kv_joined.ts";
import { type GroupMeta, Keys, type KpValue } from "./kv_keys.ts";
import { kvPutChallenge, kvRotateToken, kvTakeChallenge } from "./kv_proofs.ts";
import { readProposal } from "./kv_proposals.ts";
import { unlocked } from "./kv_retry.ts";
import { HeadWatcher } from "./kv_watch.ts";
import { Notifier } from "./notifier.ts";
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

/** Options of {@link KvStore}. */
export interface KvStoreOptions {
  /** Key prefix (default `["webmls"]`). */
  prefix?: Deno.KvKey;
  /** How long undelivered messages are kept, ms (default 30 days). */
  retentionMs?: number;
  /**
   * How often the heads of waited-on inboxes are re-read, ms (default
   * 250): wakes long polls for writes made by other processes.
   */
  pollIntervalMs?: number;
  /** Close the database in {@link KvStore.close} (default true). */
  ownsKv?: boolean;
}

const DAY = 24 * 3600 * 1000;

/** A {@link DeliveryStore} on Deno KV. */
export class KvStore implements DeliveryStore {
  readonly #kv: Deno.Kv;
  readonly #keys: Keys;
  readonly #ctx: AcceptContext;
  readonly #watcher: HeadWatcher;
  readonly #owns: boolean;
  readonly #notifier = new Notifier();
  readonly #inbox: KvInbox;

  /** Wraps an open database. */
  constructor(kv: Deno.Kv, options: KvStoreOptions = {}) {
    this.#kv = kv;
    this.#keys = new Keys(options.prefix ?? ["webmls"]);
    this.#ctx = {
      kv,
      keys: this.#keys,
      retentionMs: options.retentionMs ?? 30 * DAY,
    };
    this.#watcher = new HeadWatcher(
      kv,
      this.#keys,
      options.pollIntervalMs ?? 250,
    );
    this.#owns = options.ownsKv ?? true;
    this.#inbox = new KvInbox(this.#ctx, (ids) => this.#notifier.notify(ids));
  }

  /** Opens a database (a file path; default: Deno's default location). */
  static async open(
    path?: string,
    options: KvStoreOptions = {},
  ): Promise<KvStore> {
    return new KvStore(await Deno.openKv(path), options);
  }

  /** See {@link DeliveryStore.registerClient}. */
  async registerClient(r: ClientRecord): Promise<boolean> {
    const k = this.#keys;
    const op = this.#kv.atomic()
      .check({ key: k.client(r.clientId), versionstamp: null })
      .check({ key: k.token(r.tokenHash), versionstamp: null })
      .set(k.client(r.clientId), {
        tokenHash: r.tokenHash,
        createdAt: r.createdAt,
      })
      .set(k.token(r.tokenHash), r.clientId);
    const res = await unlocked(() => op.commit());
    return res.ok;
  }

  /** See {@link DeliveryStore.clientByTokenHash}. */
  async clientByTokenHash(hash: string): Promise<string | null> {
    return (await this.#kv.get<string>(this.#keys.token(hash))).value;
  }

  /** See {@link DeliveryStore.hasClient}. */
  async hasClient(clientId: string): Promise<boolean> {
    return (await this.#kv.get(this.#keys.client(clientId))).value !== null;
  }

  /** See {@link DeliveryStore.putKeyPackage}. */
  async putKeyPackage(
    owner: string,
    kp: StoredKeyPackage,
    max: number,
  ): Promise<PutKeyPackageResult> {
    if ((await this.countKeyPackages(owner)) >= max) return "full";
    const value: KpValue = {
      bytes: kp.bytes,
      lastResort: kp.lastResort,
      notAfter: kp.notAfter,
    };
    const op = this.#kv.atomic()
      .check({ key: this.#keys.kpref(kp.ref), versionstamp: null })
      .set(this.#keys.kp(owner, kp.ref), value)
      .set(this.#keys.kpref(kp.ref), owner);
    const res = await unlocked(() => op.commit());
    return res.ok ? "stored" : "duplicate";
  }

  /** See {@link DeliveryStore.claimKeyPackage}. */
  async claimKeyPackage(
    owner: string,
    nowSeconds: number,
  ): Promise<StoredKeyPackage | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let lastResort: Deno.KvEntry<KpValue> | undefined;
      let pick: Deno.KvEntry<KpValue> | undefined;
      const expired: Deno.KvKey[] = [];
      for await (
        const e of this.#kv.list<KpValue>({ prefix: this.#keys.kp(owner) })
      ) {
        if (e.value.notAfter < nowSeconds) expired.push(e.key);
        else if (e.value.lastResort) lastResort ??= e;
        else {
          pick = e;
          break;
        }
      }
      if (expired.length > 0) {
        const op = this.#kv.atomic();
        for (const k of expired.slice(0, 500)) op.delete(k);
        await unlocked(() => op.commit());
      }
      const ref = (e: Deno.KvEntry<KpValue>): StoredKeyPackage => ({
        ref: e.key[e.key.length - 1] as string,
        ...e.value,
      });
      if (!pick) return lastResort ? ref(lastResort) : null;
      const op = this.#kv.atomic().check(pick).delete(pick.key);
      const res = await unlocked(() => op.commit());
      if (res.ok) return ref(pick);
    }
    return null;
  }

  /** See {@link DeliveryStore.countKeyPackages}. */
  async countKeyPackages(owner: string): Promise<number> {
    let n = 0;
    for await (const _ of this.#kv.list({ prefix: this.#keys.kp(owner) })) n++;
    return n;
  }

  /** See {@link DeliveryStore.keyPackageOwners}. */
  async keyPackageOwners(refs: readonly string[]): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    for (let i = 0; i < refs.length; i += 10) {
      const got = await this.#kv.getMany<string[]>(
        refs.slice(i, i + 10).map((r) => this.#keys.kpref(r)),
      );
      out.push(...got.map((e) => e.value));
    }
    return out;
  }

  /** See {@link DeliveryStore.createGroup}. */
  async createGroup(g: NewGroup): Promise<boolean> {
    const k = this.#keys;
    const op = this.#kv.atomic()
      .check({ key: k.group(g.groupId), versionstamp: null });
    groupInfoWrites(this.#ctx, op, g.groupId, null, g.epoch, g.groupInfo);
    const meta: GroupMeta = {
      epoch: g.epoch,
      seq: 0,
      externalJoins: g.externalJoins,
      giEpoch: g.epoch,
      giParts: chunks(g.groupInfo).length,
      ...(g.handshakes ? { handshakes: g.handshakes } : {}),
    };
    op.set(k.group(g.groupId), meta);
    for (const m of g.members) {
      op.set(k.member(g.groupId, m), g.epoch);
      op.set(k.groups(m, g.groupId), true);
    }
    for (const m of g.joined ?? []) {
      if (g.members.includes(m)) op.set(k.joined(g.groupId, m), g.epoch);
    }
    return (await unlocked(() => op.commit())).ok;
  }

  /** See {@link DeliveryStore.getGroup}. */
  async getGroup(groupId: string): Promise<GroupRecord | null> {
    return (await readGroup(this.#ctx, groupId))?.record ?? null;
  }

  /** See {@link DeliveryStore.groupsOf}. */
  async groupsOf(clientId: string): Promise<string[]> {
    const out: string[] = [];
    for await (
      const e of this.#kv.list({ prefix: this.#keys.groups(clientId) })
    ) {
      out.push(e.key[e.key.length - 1] as string);
    }
    return out;
  }

  /** See {@link DeliveryStore.accept}. */
  accept(req: AcceptRequest): Promise<AcceptResult> {
    // Subscribers wake once the entries are in their logs.
    return kvAccept(this.#ctx, req, (ids) => this.#inbox.delivered(ids));
  }

  /** See {@link DeliveryStore.putGroupInfo}. */
  async putGroupInfo(
    groupId: string,
    epoch: number,
    groupInfo: Uint8Array,
  ): Promise<AcceptResult> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await this.#kv.get<GroupMeta>(this.#keys.group(groupId));
      if (!e.value) return { ok: false, reason: "unknown_group" };
      if (e.value.epoch !== epoch) {
        return { ok: false, reason: "epoch_conflict", epoch: e.value.epoch };
      }
      const op = this.#kv.atomic().check(e);
      groupInfoWrites(this.#ctx, op, groupId, e.value, epoch, groupInfo);
      op.set(this.#keys.group(groupId), {
        ...e.value,
        giEpoch: epoch,
        giParts: chunks(groupInfo).length,
      });
      if ((await unlocked(() => op.commit())).ok) {
        return { ok: true, epoch, seq: e.value.seq };
      }
    }
    throw new Error("group record contention: too many retries");
  }

  /** See {@link DeliveryStore.getGroupInfo}. */
  async getGroupInfo(
    groupId: string,
  ): Promise<{ epoch: number; bytes: Uint8Array } | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.#kv.get<GroupMeta>(this.#keys.group(groupId));
      if (!e.value) return null;
      const { giEpoch, giParts } = e.value;
      const bytes = await readChunks(
        this.#kv,
        this.#keys.gi(groupId, giEpoch),
        giParts,
      );
      if (bytes) return { epoch: giEpoch, bytes };
    }
    return null;
  }

  /** See {@link DeliveryStore.fetchInbox}: a range read from the cursor. */
  fetchInbox(
    clientId: string,
    after: string | undefined,
    limit: number,
    woken = false,
  ): Promise<InboxMessage[]> {
    return this.#inbox.fetch(clientId, after, limit, woken);
  }

  /** See {@link DeliveryStore.ack}: deletes up to the cursor, in batches. */
  ack(clientId: string, cursor: string): Promise<number> {
    return this.#inbox.ack(clientId, cursor);
  }

  /** See {@link DeliveryStore.forget}: batched across streams. */
  forget(clientId: string, cursors: readonly string[]): Promise<void> {
    return this.#inbox.forget(clientId, cursors);
  }

  /**
   * Waits for background inbox work (moving delivered entries into their
   * logs, batched deletions): before closing, and in tests.
   */
  flush(): Promise<void> {
    return this.#inbox.flush();
  }

  /** See {@link DeliveryStore.subscribe}. */
  async subscribe(clientId: string): Promise<InboxSubscription> {
    // Writes by other processes: the shared watcher re-reads the head and
    // has the inbox sequenced here, which then wakes the subscribers (so a
    // wake-up always follows a sequencer run that covered the inbox).
    const unwatch = await this.#watcher.watch(
      clientId,
      () => this.#inbox.delivered([clientId]),
    );
    return this.#notifier.subscribe(clientId, unwatch);
  }

  /** See {@link DeliveryStore.close}: finishes background work first. */
  async close(): Promise<void> {
    this.#notifier.closeAll();
    this.#watcher.stop();
    await this.flush();
    if (this.#owns) this.#kv.close();
  }

  // Registration proofs, token rotation, limited claims (issue 12).

  /** See {@link DeliveryStore.putChallenge}. */
  putChallenge(challenge: string, now: number, ttlMs: number): Promise<void> {
    return kvPutChallenge(this.#kv, this.#keys, challenge, now, ttlMs);
  }

  /** See {@link DeliveryStore.takeChallenge}. */
  takeChallenge(challenge: string, now: number): Promise<boolean> {
    return kvTakeChallenge(this.#kv, this.#keys, challenge, now);
  }

  /** See {@link DeliveryStore.rotateToken}. */
  rotateToken(clientId: string, tokenHash: string): Promise<boolean> {
    return kvRotateToken(this.#kv, this.#keys, clientId, tokenHash);
  }

  /** See {@link DeliveryStore.claimKeyPackageLimited}. */
  claimKeyPackageLimited(
    owner: string,
    requester: string,
    nowSeconds: number,
    limits: ClaimLimits | false,
  ): Promise<ClaimResult> {
    return kvClaimLimited(
      this.#kv,
      this.#keys,
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
    return kvCountByKind(this.#kv, this.#keys, owner, nowSeconds);
  }

  /** See {@link DeliveryStore.getProposal}. */
  getProposal(
    groupId: string,
    epoch: number,
    ref: string,
  ): Promise<Uint8Array | null> {
    return readProposal(this.#ctx, groupId, epoch, ref);
  }

  /** See {@link DeliveryStore.markJoined}. */
  markJoined(groupId: string, clientId: string): Promise<void> {
    return markJoined(this.#ctx, groupId, clientId);
  }

  /** See {@link DeliveryStore.joinedMembers}. */
  joinedMembers(groupId: string): Promise<string[]> {
    return joinedMembers(this.#ctx, groupId);
  }

  /** See {@link DeliveryStore.joinedGroupsOf}. */
  async joinedGroupsOf(clientId: string): Promise<string[]> {
    return joinedOf(this.#ctx, clientId, await this.groupsOf(clientId));
  }
}
