/**
 * The {@link DeliveryStore} of the Cloudflare Workers deployment: each
 * call goes to the Durable Object that owns its data — the directory
 * object (clients, key packages, challenges), the group's object (order,
 * GroupInfo, proposals, joined marks, fan-out), or the client's inbox
 * object (messages, group list, wake-ups).
 *
 * @module
 */

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
  StreamOptions,
} from "../store/store.ts";
import { call } from "./rpc.ts";
import type { DurableNamespace, DurableStub, WorkerEnv } from "./types.ts";

const stub = (ns: DurableNamespace, name: string): DurableStub =>
  ns.get(ns.idFromName(name));

/** A subscription: long calls to the inbox object that answer on change. */
class InboxWatch implements InboxSubscription {
  readonly #inbox: DurableStub;
  #seen: string;
  #closed = false;
  #wake = new Set<() => void>();

  constructor(inbox: DurableStub, seen: string) {
    this.#inbox = inbox;
    this.#seen = seen;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async changed(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return false;
    let stop!: () => void;
    const closed = new Promise<null>((r) => {
      stop = () => r(null);
      this.#wake.add(stop);
    });
    try {
      const now = await Promise.race([
        call<string>(this.#inbox, "waitChange", this.#seen, timeoutMs),
        closed,
      ]);
      if (now === null || this.#closed || now === this.#seen) return false;
      this.#seen = now;
      return true;
    } finally {
      this.#wake.delete(stop);
    }
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#wake) w();
  }
}

/** Options of {@link DurableObjectStore}. */
export interface DurableObjectStoreOptions {
  /**
   * Prefix of every object name (default none): stores with different
   * prefixes share no data (the store-conformance tests use one each).
   */
  prefix?: string;
}

/** The store over the worker's Durable Object bindings. */
export class DurableObjectStore implements DeliveryStore {
  readonly #env: WorkerEnv;
  readonly #prefix: string;
  readonly #watches = new Set<InboxWatch>();

  /** @param env the worker's bindings @param options the options */
  constructor(env: WorkerEnv, options: DurableObjectStoreOptions = {}) {
    this.#env = env;
    this.#prefix = options.prefix ?? "";
  }

  #directory<T>(method: string, ...args: unknown[]): Promise<T> {
    const name = `${this.#prefix}directory`;
    return call<T>(stub(this.#env.DIRECTORY, name), method, ...args);
  }

  #group<T>(groupId: string, method: string, ...args: unknown[]): Promise<T> {
    const name = this.#prefix + groupId;
    return call<T>(stub(this.#env.GROUPS, name), method, ...args);
  }

  #inbox<T>(clientId: string, method: string, ...args: unknown[]): Promise<T> {
    return call<T>(this.#inboxStub(clientId), method, ...args);
  }

  #inboxStub(clientId: string): DurableStub {
    return stub(this.#env.INBOXES, this.#prefix + clientId);
  }

  /** See {@link DeliveryStore.registerClient}. */
  registerClient(record: ClientRecord): Promise<boolean> {
    return this.#directory("registerClient", record);
  }
  /** See {@link DeliveryStore.clientByTokenHash}. */
  clientByTokenHash(tokenHash: string): Promise<string | null> {
    return this.#directory("clientByTokenHash", tokenHash);
  }
  /** See {@link DeliveryStore.hasClient}. */
  hasClient(clientId: string): Promise<boolean> {
    return this.#directory("hasClient", clientId);
  }
  /** See {@link DeliveryStore.putKeyPackage}. */
  putKeyPackage(
    owner: string,
    keyPackage: StoredKeyPackage,
    max: number,
  ): Promise<PutKeyPackageResult> {
    return this.#directory("putKeyPackage", owner, keyPackage, max);
  }
  /** See {@link DeliveryStore.claimKeyPackage}. */
  claimKeyPackage(
    owner: string,
    nowSeconds: number,
  ): Promise<StoredKeyPackage | null> {
    return this.#directory("claimKeyPackage", owner, nowSeconds);
  }
  /** See {@link DeliveryStore.countKeyPackages}. */
  countKeyPackages(owner: string): Promise<number> {
    return this.#directory("countKeyPackages", owner);
  }
  /** See {@link DeliveryStore.keyPackageOwners}. */
  keyPackageOwners(refs: readonly string[]): Promise<(string | null)[]> {
    return this.#directory("keyPackageOwners", refs);
  }
  /** See {@link DeliveryStore.putChallenge}. */
  async putChallenge(c: string, now: number, ttlMs: number): Promise<void> {
    await this.#directory("putChallenge", c, now, ttlMs);
  }
  /** See {@link DeliveryStore.takeChallenge}. */
  takeChallenge(challenge: string, now: number): Promise<boolean> {
    return this.#directory("takeChallenge", challenge, now);
  }
  /** See {@link DeliveryStore.rotateToken}. */
  rotateToken(clientId: string, tokenHash: string): Promise<boolean> {
    return this.#directory("rotateToken", clientId, tokenHash);
  }
  /** See {@link DeliveryStore.claimKeyPackageLimited}. */
  claimKeyPackageLimited(
    owner: string,
    requester: string,
    nowSeconds: number,
    limits: ClaimLimits | false,
  ): Promise<ClaimResult> {
    return this.#directory(
      "claimKeyPackageLimited",
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
    return this.#directory("countKeyPackagesByKind", owner, nowSeconds);
  }

  /** See {@link DeliveryStore.createGroup}. */
  createGroup(group: NewGroup): Promise<boolean> {
    // The group's object names its members' inboxes with the prefix.
    return this.#group(group.groupId, "create", group, this.#prefix);
  }
  /** See {@link DeliveryStore.getGroup}. */
  getGroup(groupId: string): Promise<GroupRecord | null> {
    return this.#group(groupId, "get");
  }
  /** See {@link DeliveryStore.groupsOf}. */
  groupsOf(clientId: string): Promise<string[]> {
    return this.#inbox(clientId, "groups");
  }
  /** See {@link DeliveryStore.accept}. */
  accept(request: AcceptRequest): Promise<AcceptResult> {
    return this.#group(request.groupId, "accept", request);
  }
  /** See {@link DeliveryStore.putGroupInfo}. */
  putGroupInfo(
    groupId: string,
    epoch: number,
    groupInfo: Uint8Array,
  ): Promise<AcceptResult> {
    return this.#group(groupId, "putGroupInfo", epoch, groupInfo);
  }
  /** See {@link DeliveryStore.getGroupInfo}. */
  getGroupInfo(
    groupId: string,
  ): Promise<{ epoch: number; bytes: Uint8Array } | null> {
    return this.#group(groupId, "getGroupInfo");
  }
  /** See {@link DeliveryStore.getProposal}. */
  getProposal(
    groupId: string,
    epoch: number,
    ref: string,
  ): Promise<Uint8Array | null> {
    return this.#group(groupId, "getProposal", epoch, ref);
  }
  /** See {@link DeliveryStore.markJoined}. */
  async markJoined(groupId: string, clientId: string): Promise<void> {
    await this.#group(groupId, "markJoined", clientId);
  }
  /** See {@link DeliveryStore.joinedMembers}. */
  joinedMembers(groupId: string): Promise<string[]> {
    return this.#group(groupId, "joinedMembers");
  }
  /** See {@link DeliveryStore.joinedGroupsOf}. */
  async joinedGroupsOf(clientId: string): Promise<string[]> {
    const groups = await this.groupsOf(clientId);
    const joined = await Promise.all(
      groups.map((g) => this.joinedMembers(g)),
    );
    return groups.filter((_, i) => joined[i].includes(clientId));
  }

  /** See {@link DeliveryStore.fetchInbox}. */
  fetchInbox(
    clientId: string,
    after: string | undefined,
    limit: number,
  ): Promise<InboxMessage[]> {
    return this.#inbox(clientId, "fetch", after ?? null, limit);
  }
  /** See {@link DeliveryStore.ack}. */
  ack(clientId: string, cursor: string): Promise<number> {
    return this.#inbox(clientId, "ack", cursor);
  }
  /** See {@link DeliveryStore.forget}. */
  async forget(clientId: string, cursors: readonly string[]): Promise<void> {
    await this.#inbox(clientId, "forget", cursors);
  }
  /** See {@link DeliveryStore.subscribe}. */
  async subscribe(clientId: string): Promise<InboxSubscription> {
    const inbox = this.#inboxStub(clientId);
    const watch = new InboxWatch(inbox, await call(inbox, "version"));
    this.#watches.add(watch);
    return {
      changed: (t) => watch.changed(t),
      get closed() {
        return watch.closed;
      },
      close: () => {
        watch.close();
        this.#watches.delete(watch);
      },
    };
  }

  /** See {@link DeliveryStore.openStream}: the inbox object holds it. */
  openStream(
    clientId: string,
    after: string | undefined,
    options: StreamOptions,
  ): Promise<Response> {
    const q = new URLSearchParams({
      client: clientId,
      after: after ?? "",
      protocol: options.protocol ?? "",
      ping: String(options.pingMs),
      max: String(options.maxStreams),
      prefix: this.#prefix,
    });
    return this.#inboxStub(clientId).fetch(`https://do/stream?${q}`, {
      headers: { upgrade: "websocket" },
    });
  }

  /** Ends the subscriptions (the objects keep their state). */
  close(): void {
    for (const w of this.#watches) w.close();
    this.#watches.clear();
  }
}
