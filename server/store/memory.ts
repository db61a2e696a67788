/**
 * {@link DeliveryStore} in memory: one process, nothing persisted. Every
 * operation runs to completion without awaiting in between, so it is
 * atomic with respect to every other operation.
 *
 * @module
 */

import { MemoryInbox } from "./memory_inbox.ts";
import { Notifier } from "./notifier.ts";
import { planAccept } from "./rules.ts";
import type {
  AcceptRequest,
  AcceptResult,
  ClientRecord,
  DeliveryStore,
  GroupRecord,
  InboxMessage,
  InboxSubscription,
  MessageKind,
  NewGroup,
  PutKeyPackageResult,
  StoredKeyPackage,
} from "./store.ts";

interface Group {
  record: GroupRecord;
  groupInfo: { epoch: number; bytes: Uint8Array };
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
      },
      groupInfo: { epoch: g.epoch, bytes: g.groupInfo },
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
}
