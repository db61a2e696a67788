/**
 * In-process inbox change notifications, shared by the stores: a store
 * calls {@link Notifier.notify} after it wrote to inboxes; subscribers wake.
 *
 * @module
 */

import type { InboxSubscription } from "./store.ts";

/** One subscriber's state: a sticky "changed" flag and a waiter. */
export class Subscription implements InboxSubscription {
  #dirty = false;
  #wake: ((changed: boolean) => void) | undefined;
  #closed = false;
  #onClose: () => void;

  /** @param onClose called once when the subscription ends */
  constructor(onClose: () => void) {
    this.#onClose = onClose;
  }

  /** Marks the inbox changed and wakes a waiter. */
  signal(): void {
    this.#dirty = true;
    const w = this.#wake;
    this.#wake = undefined;
    w?.(true);
  }

  /** See {@link InboxSubscription.changed}. */
  changed(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#dirty) {
      this.#dirty = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.#wake === done) this.#wake = undefined;
        resolve(false);
      }, Math.max(0, timeoutMs));
      const done = (changed: boolean): void => {
        clearTimeout(timer);
        if (changed) this.#dirty = false;
        resolve(changed);
      };
      this.#wake = done;
    });
  }

  /** See {@link InboxSubscription.closed}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** See {@link InboxSubscription.close}. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const w = this.#wake;
    this.#wake = undefined;
    w?.(false);
    this.#onClose();
  }
}

/**
 * Subscribers by client id, and which groups wake which clients: one
 * {@link Notifier.notifyGroup} per accepted group message wakes every
 * subscriber of every client that reads the group (fan-out on read: the
 * store wrote the message once, not once per member).
 */
export class Notifier {
  #subs = new Map<string, Set<Subscription>>();
  /** Group -> subscribed clients that read it. */
  #byGroup = new Map<string, Set<string>>();
  /** Subscribed client -> the groups it reads. */
  #groupsOf = new Map<string, Set<string>>();

  /** A new subscription for `clientId`'s inbox. */
  subscribe(clientId: string, onClose: () => void = () => {}): Subscription {
    const set = this.#subs.get(clientId) ?? new Set<Subscription>();
    this.#subs.set(clientId, set);
    const sub: Subscription = new Subscription(() => {
      set.delete(sub);
      if (set.size === 0 && this.#subs.get(clientId) === set) {
        this.#subs.delete(clientId);
        this.setGroups(clientId, []);
      }
      onClose();
    });
    set.add(sub);
    return sub;
  }

  /** Whether `clientId` has subscribers. */
  subscribed(clientId: string): boolean {
    return this.#subs.has(clientId);
  }

  /**
   * Sets the groups whose messages wake `clientId` (kept only while it has
   * subscribers); returns the groups added and removed.
   */
  setGroups(
    clientId: string,
    gids: Iterable<string>,
  ): { added: string[]; removed: string[] } {
    const next = this.#subs.has(clientId) ? new Set(gids) : new Set<string>();
    const old = this.#groupsOf.get(clientId) ?? new Set<string>();
    const added = [...next].filter((g) => !old.has(g));
    const removed = [...old].filter((g) => !next.has(g));
    for (const g of added) {
      const s = this.#byGroup.get(g) ?? new Set<string>();
      s.add(clientId);
      this.#byGroup.set(g, s);
    }
    for (const g of removed) {
      const s = this.#byGroup.get(g);
      s?.delete(clientId);
      if (s?.size === 0) this.#byGroup.delete(g);
    }
    if (next.size > 0) this.#groupsOf.set(clientId, next);
    else this.#groupsOf.delete(clientId);
    return { added, removed };
  }

  /** Adds one group of `clientId` (see {@link Notifier.setGroups}). */
  addGroup(clientId: string, gid: string): void {
    if (!this.#subs.has(clientId)) return;
    const cur = this.#groupsOf.get(clientId);
    if (cur?.has(gid)) return;
    this.setGroups(clientId, [...cur ?? [], gid]);
  }

  /** Wakes every subscriber of these inboxes. */
  notify(clientIds: Iterable<string>): void {
    for (const id of clientIds) {
      for (const s of this.#subs.get(id) ?? []) s.signal();
    }
  }

  /** Wakes every subscriber of every client that reads `gid`. */
  notifyGroup(gid: string): void {
    const clients = this.#byGroup.get(gid);
    if (clients) this.notify(clients);
  }

  /** Wakes every subscriber (a store that may have missed a change). */
  notifyAll(): void {
    this.notify([...this.#subs.keys()]);
  }

  /** Closes every subscription. */
  closeAll(): void {
    for (const set of [...this.#subs.values()]) {
      for (const s of [...set]) s.close();
    }
  }
}
