/**
 * {@link DeliveryStore} in memory: one process, nothing persisted. Every
 * operation runs to completion without awaiting in between, so it is
 * atomic with respect to every other operation.
 *
 * @module
 */

import { claimWindow, overLimit } from "./claim_window.ts";
import { MemoryInbox } from "./memory_inbox.ts";
import { GroupLog, type Interval, type LogEntry } from "./memory_log.ts";
import { Notifier } from "./notifier.ts";
import { planAccept } from "./rules.ts";
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
  MemberRecord,
  NewGroup,
  PutKeyPackageResult,
  StoredKeyPackage,
} from "./store.ts";

interface Group {
  record: GroupRecord;
  groupInfo: { epoch: number; bytes: Uint8Array };
  /** The current epoch's verified PublicMessage proposals, by ref. */
  proposals?: { epoch: number; byRef: Map<string, Uint8Array> };
  /** Client id -> the `since` of the membership it joined in. */
  joined?: Map<string, number>;
  /** The group's messages, each stored once (fan-out on read). */
  log: GroupLog;
  /** Who reads the log: members, and removed members not yet past it. */
  readers: Map<string, Reader>;
}

/** A reader of a group's log. */
interface Reader {
  /** Its memberships. */
  ivs: Interval[];
  /** It has read past this position of the log (acknowledged or skipped). */
  cursor: number;
}

/** Cursors: a global counter, zero-padded so that strings sort as numbers. */
function cursorOf(n: number): string {
  return n.toString(16).padStart(20, "0");
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How long group messages are kept when not every reader has read
   * them, ms (default 30 days, as on Deno KV).
   */
  retentionMs?: number;
}

/** A {@link DeliveryStore} in memory (tests, single process). */
export class MemoryStore implements DeliveryStore {
  readonly #retentionMs: number;

  /** An empty store. */
  constructor(options: MemoryStoreOptions = {}) {
    this.#retentionMs = options.retentionMs ?? 30 * 24 * 3600 * 1000;
  }

  #clients = new Map<string, ClientRecord>();
  #tokens = new Map<string, string>();
  #keyPackages = new Map<string, StoredKeyPackage[]>();
  #refOwners = new Map<string, string>();
  #groups = new Map<string, Group>();
  /** Per-client items (Welcomes) only; group messages are in group logs. */
  #inboxes = new Map<string, MemoryInbox>();
  /** Client -> position up to which everything is acknowledged. */
  #acked = new Map<string, number>();
  /** Client -> log positions a stream forgot above its acknowledged one. */
  #forgotten = new Map<string, Set<number>>();
  /** Client -> the groups whose logs it reads. */
  #readerOf = new Map<string, Set<string>>();
  #counter = 0;
  /** Store operations that write (see {@link MemoryStore.writes}). */
  #writes = 0;
  #notifier = new Notifier();
  #challenges = new Map<string, number>();
  #claims = { window: NaN, counts: new Map<string, number>() };

  /** See {@link DeliveryStore.registerClient}. */
  registerClient(record: ClientRecord): Promise<boolean> {
    if (this.#clients.has(record.clientId)) return Promise.resolve(false);
    this.#clients.set(record.clientId, record);
    this.#tokens.set(record.tokenHash, record.clientId);
    return Promise.resolve(true);
  }

  /** See {@link DeliveryStore.clientByTokenHash}. */
  clientByTokenHash(tokenHash: string): Promise<string | null> {
    return Promise.resolve(this.#tokens.get(tokenHash) ?? null);
  }

  /** See {@link DeliveryStore.hasClient}. */
  hasClient(clientId: string): Promise<boolean> {
    return Promise.resolve(this.#clients.has(clientId));
  }

  /** See {@link DeliveryStore.putKeyPackage}. */
  putKeyPackage(
    owner: string,
    kp: StoredKeyPackage,
    max: number,
  ): Promise<PutKeyPackageResult> {
    const list = this.#keyPackages.get(owner) ?? [];
    if (this.#refOwners.has(kp.ref)) return Promise.resolve("duplicate");
    if (list.length >= max) return Promise.resolve("full");
    list.push(kp);
    this.#keyPackages.set(owner, list);
    this.#refOwners.set(kp.ref, owner);
    return Promise.resolve("stored");
  }

  /** See {@link DeliveryStore.claimKeyPackage}. */
  claimKeyPackage(
    owner: string,
    nowSeconds: number,
  ): Promise<StoredKeyPackage | null> {
    const list = (this.#keyPackages.get(owner) ?? [])
      .filter((k) => k.notAfter >= nowSeconds);
    const i = list.findIndex((k) => !k.lastResort);
    const kp = i >= 0 ? list.splice(i, 1)[0] : list[0];
    this.#keyPackages.set(owner, list);
    return Promise.resolve(kp ?? null);
  }

  /** See {@link DeliveryStore.countKeyPackages}. */
  countKeyPackages(owner: string): Promise<number> {
    return Promise.resolve(this.#keyPackages.get(owner)?.length ?? 0);
  }

  /** See {@link DeliveryStore.keyPackageOwners}. */
  keyPackageOwners(refs: readonly string[]): Promise<(string | null)[]> {
    return Promise.resolve(refs.map((r) => this.#refOwners.get(r) ?? null));
  }

  /** See {@link DeliveryStore.createGroup}. */
  createGroup(g: NewGroup): Promise<boolean> {
    if (this.#groups.has(g.groupId)) return Promise.resolve(false);
    const readers = new Map<string, Reader>();
    for (const c of new Set(g.members)) {
      readers.set(c, {
        ivs: [{ since: g.epoch, from: this.#counter, to: Infinity }],
        cursor: this.#counter,
      });
      this.#addReader(c, g.groupId);
    }
    this.#groups.set(g.groupId, {
      log: new GroupLog(),
      readers,
      record: {
        groupId: g.groupId,
        epoch: g.epoch,
        seq: 0,
        externalJoins: g.externalJoins,
        members: g.members.map((clientId) => ({ clientId, since: g.epoch })),
        ...(g.handshakes ? { handshakes: g.handshakes } : {}),
      },
      groupInfo: { epoch: g.epoch, bytes: g.groupInfo },
      joined: new Map((g.joined ?? []).map((c) => [c, g.epoch])),
    });
    return Promise.resolve(true);
  }

  /** See {@link DeliveryStore.getGroup}. */
  getGroup(groupId: string): Promise<GroupRecord | null> {
    return Promise.resolve(this.#groups.get(groupId)?.record ?? null);
  }

  /** See {@link DeliveryStore.groupsOf}. */
  groupsOf(clientId: string): Promise<string[]> {
    return Promise.resolve(
      [...this.#groups.values()]
        .filter((g) => g.record.members.some((m) => m.clientId === clientId))
        .map((g) => g.record.groupId),
    );
  }

  #addReader(client: string, groupId: string): void {
    const set = this.#readerOf.get(client) ?? new Set<string>();
    set.add(groupId);
    this.#readerOf.set(client, set);
    this.#notifier.addGroup(client, groupId);
  }

  /**
   * Writes to per-client inboxes and group logs so far: one per group
   * message whatever the group's size, plus one per Welcome recipient.
   */
  get writes(): number {
    return this.#writes;
  }

  /** Entries kept in a group's log (tests). */
  logSize(groupId: string): number {
    return this.#groups.get(groupId)?.log.size ?? 0;
  }

  /** See {@link DeliveryStore.accept}. */
  accept(req: AcceptRequest): Promise<AcceptResult> {
    const g = this.#groups.get(req.groupId);
    const plan = planAccept(g?.record ?? null, req);
    if ("reject" in plan) {
      return Promise.resolve({
        ok: false,
        reason: plan.reject,
        epoch: plan.epoch,
      });
    }
    const group = g!;
    const seq = group.record.seq + 1;
    const pos = ++this.#counter;
    // The poster does not read its own proposal or application message,
    // nor its own external commit (see planAccept).
    const skip = req.kind !== "commit" || req.external ? req.poster : null;
    group.log.push(
      pos,
      req.kind,
      {
        groupId: req.groupId,
        epoch: req.epoch,
        seq,
        bytes: req.message,
      },
      skip,
      cursorOf(pos),
      Date.now(),
    );
    this.#writes++;
    if (group.log.size % 256 === 0) this.#trim(group);
    if (req.welcome && plan.welcomeRecipients.length > 0) {
      const cursor = cursorOf(++this.#counter);
      for (const c of plan.welcomeRecipients) {
        const inbox = this.#inboxes.get(c) ?? new MemoryInbox();
        inbox.push({
          cursor,
          groupId: req.groupId,
          kind: "welcome",
          epoch: plan.epoch,
          seq,
          bytes: req.welcome.bytes,
        });
        this.#inboxes.set(c, inbox);
        this.#writes++;
      }
    }
    if (plan.members) this.#moveReaders(group, plan.members, pos);
    group.record = {
      ...group.record,
      seq,
      epoch: plan.epoch,
      members: plan.members ?? group.record.members,
    };
    if (req.groupInfo) {
      group.groupInfo = { epoch: plan.epoch, bytes: req.groupInfo };
    }
    keepProposal(group, req);
    // One wake-up for the group (its readers' streams), one per Welcome.
    this.#notifier.notifyGroup(req.groupId);
    this.#notifier.notify(plan.welcomeRecipients);
    return Promise.resolve({ ok: true, epoch: plan.epoch, seq });
  }

  /**
   * After the commit at `pos`: removed members (and members whose `since`
   * changed, an external resync) stop reading at `pos`; new memberships
   * read from after it.
   */
  #moveReaders(group: Group, next: readonly MemberRecord[], pos: number) {
    const before = new Map(
      group.record.members.map((m) => [m.clientId, m.since]),
    );
    const after = new Map(next.map((m) => [m.clientId, m.since]));
    for (const [c, since] of before) {
      if (after.get(c) === since) continue;
      const open = group.readers.get(c)?.ivs.find((i) => i.to === Infinity);
      if (open) open.to = pos;
    }
    for (const [c, since] of after) {
      if (before.get(c) === since) continue;
      const r = group.readers.get(c) ?? { ivs: [], cursor: pos };
      r.ivs.push({ since, from: pos, to: Infinity });
      group.readers.set(c, r);
      this.#addReader(c, group.record.groupId);
    }
  }

  /** See {@link DeliveryStore.putGroupInfo}. */
  putGroupInfo(
    groupId: string,
    epoch: number,
    groupInfo: Uint8Array,
  ): Promise<AcceptResult> {
    const g = this.#groups.get(groupId);
    if (!g) return Promise.resolve({ ok: false, reason: "unknown_group" });
    if (g.record.epoch !== epoch) {
      return Promise.resolve({
        ok: false,
        reason: "epoch_conflict",
        epoch: g.record.epoch,
      });
    }
    g.groupInfo = { epoch, bytes: groupInfo };
    return Promise.resolve({ ok: true, epoch, seq: g.record.seq });
  }

  /** See {@link DeliveryStore.getGroupInfo}. */
  getGroupInfo(
    groupId: string,
  ): Promise<{ epoch: number; bytes: Uint8Array } | null> {
    return Promise.resolve(this.#groups.get(groupId)?.groupInfo ?? null);
  }

  /**
   * The client's view after position `after`: its Welcomes merged with the
   * logs of its groups, in position (acceptance) order, up to `limit`
   * entries with positions up to `upTo`. `skipForgotten`: leave out what a
   * stream forgot.
   */
  #collect(
    client: string,
    after: number,
    limit: number,
    upTo = Infinity,
    skipForgotten = true,
  ): { pos: number; message: InboxMessage }[] {
    const out: { pos: number; message: InboxMessage }[] = [];
    const inbox = this.#inboxes.get(client);
    if (inbox) {
      for (const m of inbox.fetch(cursorOf(after), limit)) {
        const pos = parseInt(m.cursor, 16);
        if (pos > upTo) break;
        out.push({ pos, message: m });
      }
    }
    const forgotten = skipForgotten ? this.#forgotten.get(client) : undefined;
    const cutoff = Date.now() - this.#retentionMs;
    for (const gid of this.#readerOf.get(client) ?? []) {
      const g = this.#groups.get(gid);
      const ivs = g?.readers.get(client)?.ivs;
      if (!g || !ivs) continue;
      g.log.expire(cutoff);
      const entries: LogEntry[] = g.log.read(
        client,
        ivs,
        after,
        limit,
        forgotten,
        upTo,
      );
      for (const e of entries) out.push({ pos: e.pos, message: e.message });
    }
    out.sort((a, b) => a.pos - b.pos);
    return out.length > limit ? out.slice(0, limit) : out;
  }

  /** The position of the client's first entry after `after`, forgotten or not. */
  #first(client: string, after: number): number | undefined {
    let first: number | undefined;
    const [w] = this.#inboxes.get(client)?.fetch(cursorOf(after), 1) ?? [];
    if (w) first = parseInt(w.cursor, 16);
    for (const gid of this.#readerOf.get(client) ?? []) {
      const g = this.#groups.get(gid);
      const ivs = g?.readers.get(client)?.ivs;
      if (!g || !ivs) continue;
      const [e] = g.log.read(client, ivs, after, 1, undefined, first);
      if (e && (first === undefined || e.pos < first)) first = e.pos;
    }
    return first;
  }

  #position(cursor: string | undefined): number {
    const n = cursor === undefined ? NaN : parseInt(cursor, 16);
    return Number.isFinite(n) ? n : 0;
  }

  /** See {@link DeliveryStore.fetchInbox}: merges Welcomes and group logs. */
  fetchInbox(
    clientId: string,
    after: string | undefined,
    limit: number,
  ): Promise<InboxMessage[]> {
    const from = Math.max(
      this.#position(after),
      this.#acked.get(clientId) ?? 0,
    );
    return Promise.resolve(
      this.#collect(clientId, from, limit).map((e) => e.message),
    );
  }

  /** Moves the client's acknowledged position to `pos`; trims its groups' logs. */
  #advance(client: string, pos: number): void {
    this.#acked.set(client, pos);
    const inbox = this.#inboxes.get(client);
    inbox?.ack(cursorOf(pos));
    if (inbox?.size === 0) this.#inboxes.delete(client);
    const forgotten = this.#forgotten.get(client);
    if (forgotten) {
      for (const p of forgotten) if (p <= pos) forgotten.delete(p);
      if (forgotten.size === 0) this.#forgotten.delete(client);
    }
    const groups = this.#readerOf.get(client);
    for (const gid of groups ?? []) {
      const g = this.#groups.get(gid);
      if (!g) continue;
      const ivs = g.readers.get(client)?.ivs;
      // A removed member past the end of its last membership reads no more.
      if (ivs && ivs.every((i) => i.to <= pos)) {
        g.readers.delete(client);
        groups!.delete(gid);
      }
      // Amortized: the minimum over readers is taken every readers/8 acks.
      if (++g.log.acksSinceTrim >= Math.max(1, g.readers.size / 8)) {
        this.#trim(g);
      }
    }
    if (groups?.size === 0) this.#readerOf.delete(client);
  }

  /**
   * Drops log entries every reader's cursor is past; a reader's cursor is
   * its acknowledged position, moved over entries it does not read.
   */
  #trim(g: Group): void {
    g.log.expire(Date.now() - this.#retentionMs);
    let low = this.#counter;
    for (const [c, r] of g.readers) {
      r.cursor = g.log.skipInvisible(
        c,
        r.ivs,
        Math.max(r.cursor, this.#acked.get(c) ?? 0),
      );
      if (r.ivs.every((i) => i.to <= r.cursor)) {
        g.readers.delete(c);
        this.#readerOf.get(c)?.delete(g.record.groupId);
        continue;
      }
      low = Math.min(low, r.cursor);
    }
    g.log.trim(low);
  }

  /** See {@link DeliveryStore.ack}: O(what it deletes + groups). */
  ack(clientId: string, cursor: string): Promise<number> {
    const done = this.#acked.get(clientId) ?? 0;
    const pos = Math.min(this.#position(cursor), this.#counter);
    if (pos <= done) return Promise.resolve(0);
    const n = this.#collect(clientId, done, Infinity, pos).length;
    this.#advance(clientId, pos);
    return Promise.resolve(n);
  }

  /** See {@link DeliveryStore.forget}. */
  forget(clientId: string, cursors: readonly string[]): Promise<void> {
    const inbox = this.#inboxes.get(clientId);
    inbox?.forget(cursors);
    if (inbox?.size === 0) this.#inboxes.delete(clientId);
    const done = this.#acked.get(clientId) ?? 0;
    const set = this.#forgotten.get(clientId) ?? new Set<number>();
    for (const c of cursors) {
      const p = this.#position(c);
      if (p > done && p <= this.#counter) set.add(p);
    }
    if (set.size === 0) return Promise.resolve();
    this.#forgotten.set(clientId, set);
    // Forgetting from the front (a stream) moves the acknowledged position.
    let pos = done;
    for (;;) {
      const first = this.#first(clientId, pos);
      if (first === undefined || !set.has(first)) break;
      pos = first;
    }
    if (pos > done) this.#advance(clientId, pos);
    return Promise.resolve();
  }

  /** See {@link DeliveryStore.subscribe}. */
  subscribe(clientId: string): Promise<InboxSubscription> {
    const sub = this.#notifier.subscribe(clientId);
    this.#notifier.setGroups(clientId, this.#readerOf.get(clientId) ?? []);
    return Promise.resolve(sub);
  }

  /** See {@link DeliveryStore.close}. */
  close(): void {
    this.#notifier.closeAll();
  }

  // Registration proofs, token rotation, limited claims (issue 12).

  /** See {@link DeliveryStore.putChallenge}. */
  putChallenge(challenge: string, now: number, ttlMs: number): Promise<void> {
    // Bounded: sweep expired ones, then drop the oldest (Map order).
    if (this.#challenges.size >= 10_000) {
      for (const [c, t] of this.#challenges) {
        if (t < now) this.#challenges.delete(c);
      }
      for (const c of this.#challenges.keys()) {
        if (this.#challenges.size < 9_000) break;
        this.#challenges.delete(c);
      }
    }
    this.#challenges.set(challenge, now + ttlMs);
    return Promise.resolve();
  }

  /** See {@link DeliveryStore.takeChallenge}. */
  takeChallenge(challenge: string, now: number): Promise<boolean> {
    const expiresAt = this.#challenges.get(challenge);
    this.#challenges.delete(challenge);
    return Promise.resolve(expiresAt !== undefined && now <= expiresAt);
  }

  /** See {@link DeliveryStore.rotateToken}. */
  rotateToken(clientId: string, tokenHash: string): Promise<boolean> {
    const old = this.#clients.get(clientId);
    if (!old) return Promise.resolve(false);
    this.#tokens.delete(old.tokenHash);
    this.#clients.set(clientId, { ...old, tokenHash });
    this.#tokens.set(tokenHash, clientId);
    return Promise.resolve(true);
  }

  /** See {@link DeliveryStore.claimKeyPackageLimited}. */
  claimKeyPackageLimited(
    owner: string,
    requester: string,
    nowSeconds: number,
    limits: ClaimLimits | false,
  ): Promise<ClaimResult> {
    const list = (this.#keyPackages.get(owner) ?? [])
      .filter((k) => k.notAfter >= nowSeconds);
    this.#keyPackages.set(owner, list);
    const i = list.findIndex((k) => !k.lastResort);
    const lastResort = list.find((k) => k.lastResort);
    let keys: string[] = [];
    let retryAfter = 0;
    if (limits) {
      const w = claimWindow(limits, nowSeconds);
      retryAfter = w.retryAfter;
      // Only the current window's counts matter: drop older ones.
      if (this.#claims.window !== w.window) {
        this.#claims = { window: w.window, counts: new Map() };
      }
      keys = [`p/${requester}/${owner}`, `r/${requester}`, `t/${owner}`];
      const [pair, req, target] = keys.map((k) =>
        this.#claims.counts.get(k) ?? 0
      );
      if (i >= 0 && overLimit({ pair, requester: req, target }, limits)) {
        return Promise.resolve(
          lastResort
            ? { kind: "lastResort", keyPackage: lastResort }
            : { kind: "limited", retryAfter },
        );
      }
    }
    if (i >= 0) {
      const [keyPackage] = list.splice(i, 1);
      for (const k of keys) {
        this.#claims.counts.set(k, (this.#claims.counts.get(k) ?? 0) + 1);
      }
      return Promise.resolve({ kind: "regular", keyPackage });
    }
    return Promise.resolve(
      lastResort ? { kind: "lastResort", keyPackage: lastResort } : {
        kind: "none",
      },
    );
  }

  /** See {@link DeliveryStore.countKeyPackagesByKind}. */
  countKeyPackagesByKind(
    owner: string,
    nowSeconds: number,
  ): Promise<KeyPackageCounts> {
    const valid = (this.#keyPackages.get(owner) ?? [])
      .filter((k) => k.notAfter >= nowSeconds);
    const lastResort = valid.filter((k) => k.lastResort).length;
    return Promise.resolve({ regular: valid.length - lastResort, lastResort });
  }
  /** See {@link DeliveryStore.getProposal}. */
  getProposal(
    groupId: string,
    epoch: number,
    ref: string,
  ): Promise<Uint8Array | null> {
    const p = this.#groups.get(groupId)?.proposals;
    return Promise.resolve(
      p?.epoch === epoch ? p.byRef.get(ref) ?? null : null,
    );
  }

  /** See {@link DeliveryStore.markJoined}. */
  markJoined(groupId: string, clientId: string): Promise<void> {
    const g = this.#groups.get(groupId);
    const m = g?.record.members.find((m) => m.clientId === clientId);
    if (g && m) (g.joined ??= new Map()).set(clientId, m.since);
    return Promise.resolve();
  }

  /** See {@link DeliveryStore.joinedMembers}. */
  joinedMembers(groupId: string): Promise<string[]> {
    const g = this.#groups.get(groupId);
    return Promise.resolve(
      g
        ? g.record.members.filter((m) => joinedIn(g, m)).map((m) => m.clientId)
        : [],
    );
  }

  /** See {@link DeliveryStore.joinedGroupsOf}. */
  joinedGroupsOf(clientId: string): Promise<string[]> {
    return Promise.resolve(
      [...this.#groups.values()]
        .filter((g) =>
          g.record.members.some((m) =>
            m.clientId === clientId && joinedIn(g, m)
          )
        )
        .map((g) => g.record.groupId),
    );
  }
}

/** A joined mark counts only for the membership it was made in. */
function joinedIn(g: Group, m: MemberRecord): boolean {
  return g.joined?.get(m.clientId) === m.since;
}

/** Keeps a verified proposal for its epoch; a commit starts a new epoch. */
function keepProposal(g: Group, req: AcceptRequest): void {
  if (req.kind === "commit") g.proposals = undefined;
  if (req.kind !== "proposal" || !req.proposalRef) return;
  if (g.proposals?.epoch !== req.epoch) {
    g.proposals = { epoch: req.epoch, byRef: new Map() };
  }
  g.proposals.byRef.set(req.proposalRef, req.message);
}
