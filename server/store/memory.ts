/**
 * {@link DeliveryStore} in memory: one process, nothing persisted. Every
 * operation runs to completion without awaiting in between, so it is
 * atomic with respect to every other operation.
 *
 * @module
 */

import { claimWindow, overLimit } from "./claim_window.ts";
import { MemoryInbox } from "./memory_inbox.ts";
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
  MessageKind,
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
}

/** Cursors: a global counter, zero-padded so that strings sort as numbers. */
function cursorOf(n: number): string {
  return n.toString(16).padStart(20, "0");
}

/** A {@link DeliveryStore} in memory (tests, single process). */
export class MemoryStore implements DeliveryStore {
  #clients = new Map<string, ClientRecord>();
  #tokens = new Map<string, string>();
  #keyPackages = new Map<string, StoredKeyPackage[]>();
  #refOwners = new Map<string, string>();
  #groups = new Map<string, Group>();
  #inboxes = new Map<string, MemoryInbox>();
  #counter = 0;
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
    this.#groups.set(g.groupId, {
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

  #deliver(
    to: readonly string[],
    m: Omit<InboxMessage, "cursor">,
  ): void {
    for (const c of to) {
      const inbox = this.#inboxes.get(c) ?? new MemoryInbox();
      inbox.push({ ...m, cursor: cursorOf(++this.#counter) });
      this.#inboxes.set(c, inbox);
    }
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
    const kind: MessageKind = req.kind;
    this.#deliver(plan.recipients, {
      groupId: req.groupId,
      kind,
      epoch: req.epoch,
      seq,
      bytes: req.message,
    });
    if (req.welcome) {
      this.#deliver(plan.welcomeRecipients, {
        groupId: req.groupId,
        kind: "welcome",
        epoch: plan.epoch,
        seq,
        bytes: req.welcome.bytes,
      });
    }
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
    this.#notifier.notify([...plan.recipients, ...plan.welcomeRecipients]);
    return Promise.resolve({ ok: true, epoch: plan.epoch, seq });
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

  /** See {@link DeliveryStore.fetchInbox}: O(log n + limit); nothing to skip when woken. */
  fetchInbox(
    clientId: string,
    after: string | undefined,
    limit: number,
  ): Promise<InboxMessage[]> {
    const inbox = this.#inboxes.get(clientId);
    return Promise.resolve(inbox ? inbox.fetch(after, limit) : []);
  }

  /** See {@link DeliveryStore.ack}: O(log n), amortized. */
  ack(clientId: string, cursor: string): Promise<number> {
    const inbox = this.#inboxes.get(clientId);
    const n = inbox ? inbox.ack(cursor) : 0;
    if (inbox?.size === 0) this.#inboxes.delete(clientId);
    return Promise.resolve(n);
  }

  /** See {@link DeliveryStore.forget}. */
  forget(clientId: string, cursors: readonly string[]): Promise<void> {
    const inbox = this.#inboxes.get(clientId);
    inbox?.forget(cursors);
    if (inbox?.size === 0) this.#inboxes.delete(clientId);
    return Promise.resolve();
  }

  /** See {@link DeliveryStore.subscribe}. */
  subscribe(clientId: string): Promise<InboxSubscription> {
    return Promise.resolve(this.#notifier.subscribe(clientId));
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
