/**
 * {@link DeliveryStore} on Deno KV: a local SQLite file for `deno task
 * start`, the distributed KV on Deno Deploy, the same code for both.
 * Fan-out on read (issue 23): each group message is written once, into
 * its group's log (`kv_accept.ts`), in atomic operations checked against
 * the group record, so several server processes can share one database;
 * each client reads the logs of its groups from its own positions
 * (`kv_reader.ts`). Wake-ups are per group: one accepted message wakes
 * every waiting member of its group, in this process at once and in
 * others through one watcher of the group's record (`kv_watch.ts`).
 *
 * @module
 */

import { GroupWriter } from "./kv_accept.ts";
import { blobDeletes, dropBlobs, readBlob, writeBlob } from "./kv_blobs.ts";
import { kvClaimLimited, kvCountByKind } from "./kv_claims.ts";
import { type KvContext, kvContext } from "./kv_context.ts";
import { readGroup, recordOf } from "./kv_group.ts";
import { joinedMembers, markJoined, memberOf } from "./kv_joined.ts";
import { type GroupMeta, Keys, type KpValue, type Roster } from "./kv_keys.ts";
import { kvPutChallenge, kvRotateToken, kvTakeChallenge } from "./kv_proofs.ts";
import { readProposal } from "./kv_proposals.ts";
import { KvReader } from "./kv_reader.ts";
import { unlocked } from "./kv_retry.ts";
import { rosterChunks, view } from "./kv_roster.ts";
import { KeyWatcher } from "./kv_watch.ts";
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
  readonly #ctx: KvContext;
  readonly #watcher: KeyWatcher;
  readonly #owns: boolean;
  readonly #notifier = new Notifier();
  readonly #writer: GroupWriter;
  readonly #reader: KvReader;
  /** Watched group records: how many subscribed clients read each. */
  readonly #groupWatch = new Map<string, { n: number; stop: () => void }>();
  /** Subscribed clients: their head watch and the groups counted above. */
  readonly #clientWatch = new Map<
    string,
    { stop: () => void; groups: Set<string> }
  >();

  /** Wraps an open database. */
  constructor(kv: Deno.Kv, options: KvStoreOptions = {}) {
    this.#kv = kv;
    this.#keys = new Keys(options.prefix ?? ["webmls"]);
    this.#ctx = kvContext(kv, this.#keys, options.retentionMs ?? 30 * DAY);
    this.#watcher = new KeyWatcher(kv, options.pollIntervalMs ?? 250);
    this.#owns = options.ownsKv ?? true;
    this.#writer = new GroupWriter(this.#ctx, (gid, welcomed) => {
      this.#notifier.notifyGroup(gid);
      this.#notifier.notify(welcomed);
    });
    this.#reader = new KvReader(
      this.#ctx,
      (client, gids) => this.#readsGroups(client, gids),
    );
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
    const gid = g.groupId;
    const gi = await writeBlob(this.#ctx, gid, g.groupInfo, false);
    const members = [...new Set(g.members)];
    const roster: Roster = {
      members: members.map((c) => [c, g.epoch]),
      readers: members.map((c) => [c, [{ since: g.epoch, from: 0, to: null }]]),
    };
    const rc = rosterChunks(roster);
    const meta: GroupMeta = {
      epoch: g.epoch,
      seq: 0,
      pos: 0,
      mver: 0,
      externalJoins: g.externalJoins,
      giEpoch: g.epoch,
      gi,
      ...(g.handshakes ? { handshakes: g.handshakes } : {}),
    };
    const op = this.#kv.atomic()
      .check({ key: k.group(gid), versionstamp: null })
      .set(k.group(gid), meta)
      .set(k.rosterRef(gid), { mver: 0, parts: rc.length });
    rc.forEach((c, i) => op.set([...k.roster(gid, 0), i], c));
    // The members' rows, and a head bump that tells readers their list of
    // groups changed: in the operation, or before it for many members
    // (rows of a group whose roster does not list the client show it
    // nothing, should the creation fail).
    if (members.length <= 100) {
      for (const m of members) {
        op.set(k.groups(m, gid), true).sum(k.head(m), 1n);
      }
    } else {
      // Deno KV allows 80 KiB of keys per operation.
      for (let i = 0; i < members.length; i += 150) {
        const rows = this.#kv.atomic();
        for (const m of members.slice(i, i + 150)) {
          rows.set(k.groups(m, gid), true).sum(k.head(m), 1n);
        }
        await unlocked(() => rows.commit());
      }
    }
    for (const m of g.joined ?? []) {
      if (members.includes(m)) op.set(k.joined(gid, m), g.epoch);
    }
    const ok = (await unlocked(() => op.commit())).ok;
    if (!ok) await dropBlobs(this.#ctx, gid, [gi]);
    else this.#ctx.rosters.put(gid, 0, view(roster));
    return ok;
  }

  /** See {@link DeliveryStore.getGroup}. */
  async getGroup(groupId: string): Promise<GroupRecord | null> {
    const st = await readGroup(this.#ctx, groupId);
    return st ? recordOf(groupId, st) : null;
  }

  /** See {@link DeliveryStore.groupsOf}. */
  async groupsOf(clientId: string): Promise<string[]> {
    const read = await this.#reader.groupsOf(clientId);
    return memberOf(this.#ctx, clientId, read, false);
  }

  /** See {@link DeliveryStore.accept}: batched per group (`kv_accept.ts`). */
  accept(req: AcceptRequest): Promise<AcceptResult> {
    return this.#writer.accept(req);
  }

  /** See {@link DeliveryStore.putGroupInfo}. */
  async putGroupInfo(
    groupId: string,
    epoch: number,
    groupInfo: Uint8Array,
  ): Promise<AcceptResult> {
    const ref = await writeBlob(this.#ctx, groupId, groupInfo, false);
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await this.#kv.get<GroupMeta>(this.#keys.group(groupId));
      if (!e.value || e.value.epoch !== epoch) {
        await dropBlobs(this.#ctx, groupId, [ref]);
        return e.value
          ? { ok: false, reason: "epoch_conflict", epoch: e.value.epoch }
          : { ok: false, reason: "unknown_group" };
      }
      const op = this.#kv.atomic().check(e)
        .set(this.#keys.group(groupId), {
          ...e.value,
          gi: ref,
          giEpoch: epoch,
        });
      blobDeletes(this.#ctx, op, groupId, e.value.gi);
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
      // No GroupInfo blob: a record of the layout before issue 23.
      if (!e.value?.gi) return null;
      const bytes = await readBlob(this.#ctx, groupId, e.value.gi);
      if (bytes) return { epoch: e.value.giEpoch, bytes };
    }
    return null;
  }

  /**
   * See {@link DeliveryStore.fetchInbox}: a merge of the client's group
   * logs from its positions (`kv_reader.ts`); `woken` changes nothing.
   */
  fetchInbox(
    clientId: string,
    after: string | undefined,
    limit: number,
  ): Promise<InboxMessage[]> {
    return this.#reader.fetch(clientId, after, limit);
  }

  /** See {@link DeliveryStore.ack}: moves the client's log positions. */
  ack(clientId: string, cursor: string): Promise<number> {
    return this.#reader.ack(clientId, cursor);
  }

  /** See {@link DeliveryStore.forget}: batched across streams. */
  forget(clientId: string, cursors: readonly string[]): Promise<void> {
    return this.#reader.forget(clientId, cursors);
  }

  /**
   * Waits for background work (queued writes, batched acknowledgements,
   * trimming): before closing, and in tests.
   */
  async flush(): Promise<void> {
    await this.#writer.idle();
    await this.#reader.flush();
  }

  /** Deletes the log entries of a group every reader is past (tests). */
  trim(groupId: string): Promise<number> {
    return this.#reader.trim(groupId);
  }

  /**
   * See {@link DeliveryStore.subscribe}. In this process, accepted
   * messages wake the subscribers of their group at once; writes by other
   * processes through the watcher of each read group's record, and of the
   * client's `head` for Welcomes.
   */
  async subscribe(clientId: string): Promise<InboxSubscription> {
    const first = !this.#notifier.subscribed(clientId);
    const sub = this.#notifier.subscribe(clientId, () => {
      if (!this.#notifier.subscribed(clientId)) this.#unwatch(clientId);
    });
    if (first && !this.#clientWatch.has(clientId)) {
      const w = { stop: () => {}, groups: new Set<string>() };
      this.#clientWatch.set(clientId, w);
      w.stop = await this.#watcher.watch(
        this.#keys.head(clientId),
        () => this.#notifier.notify([clientId]),
      );
      this.#readsGroups(clientId, await this.#reader.groupsOf(clientId));
      if (!this.#notifier.subscribed(clientId)) this.#unwatch(clientId);
    }
    return sub;
  }

  /** A subscribed client reads these groups: wake it for them. */
  #readsGroups(clientId: string, gids: readonly string[]): void {
    const w = this.#clientWatch.get(clientId);
    if (!w || !this.#notifier.subscribed(clientId)) return;
    if (gids.length === w.groups.size && gids.every((g) => w.groups.has(g))) {
      return; // unchanged (the usual case: every fetch reports its groups)
    }
    this.#notifier.setGroups(clientId, gids);
    const next = new Set(gids);
    for (const g of next) {
      if (w.groups.has(g)) continue;
      w.groups.add(g);
      const gw = this.#groupWatch.get(g);
      if (gw) gw.n++;
      else {
        const entry = { n: 1, stop: () => {} };
        this.#groupWatch.set(g, entry);
        this.#watcher.watch(
          this.#keys.group(g),
          () => this.#notifier.notifyGroup(g),
        ).then((stop) => {
          if (this.#groupWatch.get(g) === entry) entry.stop = stop;
          else stop();
        }, () => {});
      }
    }
    for (const g of [...w.groups]) {
      if (!next.has(g)) this.#dropGroupWatch(w, g);
    }
  }

  #dropGroupWatch(w: { groups: Set<string> }, g: string): void {
    w.groups.delete(g);
    const gw = this.#groupWatch.get(g);
    if (gw && --gw.n === 0) {
      this.#groupWatch.delete(g);
      gw.stop();
    }
  }

  #unwatch(clientId: string): void {
    const w = this.#clientWatch.get(clientId);
    if (!w) return;
    this.#clientWatch.delete(clientId);
    w.stop();
    for (const g of [...w.groups]) this.#dropGroupWatch(w, g);
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
    const read = await this.#reader.groupsOf(clientId);
    return memberOf(this.#ctx, clientId, read, true);
  }
}
