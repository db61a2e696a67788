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

/** Subscribers by client id. */
export class Notifier {
  #subs = new Map<string, Set<Subscription>>();

  /** A new subscription for `clientId`'s inbox. */
  subscribe(clientId: string, onClose: () => void = () => {}): Subscription {
    const set = this.#subs.get(clientId) ?? new Set<Subscription>();
    this.#subs.set(clientId, set);
    const sub: Subscription = new Subscription(() => {
      set.delete(sub);
      if (set.size === 0 && this.#subs.get(clientId) === set) {
        this.#subs.delete(clientId);
      }
      onClose();
    });
    set.add(sub);
    return sub;
  }

  /** Wakes every subscriber of these inboxes. */
  notify(clientIds: Iterable<string>): void {
    for (const id of clientIds) {
      for (const s of this.#subs.get(id) ?? []) s.signal();
    }
  }

  /** Closes every subscription. */
  closeAll(): void {
    for (const set of [...this.#subs.values()]) {
      for (const s of [...set]) s.close();
    }
  }
}
