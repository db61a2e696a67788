/**
 * A client's inbox as a Durable Object (one per client): the messages its
 * groups' objects delivered to it (fan-out on write), in delivery order,
 * under cursors that only grow; the groups it is a member of; and the
 * wake-ups of its long polls and streams (a call that answers when the
 * inbox changes, or at its timeout).
 *
 * Deliveries are idempotent (keyed by group and position): a group object
 * that retries a delivery after a failure does not deliver twice.
 *
 * @module
 */

import type { InboxMessage } from "../store/store.ts";
import { type Methods, serveRpc } from "./rpc.ts";
import type { DurableState, DurableStorage } from "./types.ts";

/** One delivery from a group object. */
export interface Delivery {
  /** `<groupId>/<position>`: the same delivery twice is stored once. */
  readonly key: string;
  /** The message, without its cursor (the inbox gives it one). */
  readonly message: Omit<InboxMessage, "cursor">;
}

/** A membership change a group object tells the inbox about. */
export interface Membership {
  /** The group. */
  readonly groupId: string;
  /** Whether the client is a member now. */
  readonly member: boolean;
}

const cursorOf = (n: number) => n.toString(16).padStart(16, "0");

/** The inbox object. */
export class InboxObject {
  readonly #storage: DurableStorage;
  /** Messages in cursor order. */
  #messages: InboxMessage[] = [];
  #keys = new Set<string>();
  #counter = 0;
  #groups = new Set<string>();
  /** Changes since this instance started; waiters from another get woken. */
  #version = 0;
  readonly #boot = crypto.randomUUID();
  #waiters = new Set<() => void>();

  /** Loads the state before any request. */
  constructor(state: DurableState) {
    this.#storage = state.storage;
    state.blockConcurrencyWhile(async () => {
      const stored = await this.#storage.list<
        { key: string; message: InboxMessage }
      >({ prefix: "m/" });
      for (const { key, message } of stored.values()) {
        this.#messages.push(message);
        this.#keys.add(key);
      }
      this.#counter = await this.#storage.get<number>("counter") ?? 0;
      this.#groups = new Set(await this.#storage.get<string[]>("groups") ?? []);
    });
  }

  /** Serves the worker's and the group objects' calls (rpc.ts). */
  fetch(request: Request): Promise<Response> {
    return serveRpc(this.#methods, request);
  }

  #changed(): void {
    this.#version++;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const w of waiters) w();
  }

  #methods: Methods = {
    deliver: (deliveries: Delivery[], memberships: Membership[]): null => {
      const writes: Record<string, unknown> = {};
      for (const m of memberships) {
        if (m.member) this.#groups.add(m.groupId);
        else this.#groups.delete(m.groupId);
      }
      if (memberships.length > 0) writes.groups = [...this.#groups];
      let added = 0;
      for (const d of deliveries) {
        if (this.#keys.has(d.key)) continue;
        const cursor = cursorOf(++this.#counter);
        const message = { ...d.message, cursor };
        this.#messages.push(message);
        this.#keys.add(d.key);
        writes[`m/${cursor}`] = { key: d.key, message };
        added++;
      }
      if (added > 0) writes.counter = this.#counter;
      if (Object.keys(writes).length > 0) this.#storage.put(writes);
      if (added > 0) this.#changed();
      return null;
    },
    fetch: (after: string | null, limit: number): InboxMessage[] => {
      const from = after === null
        ? 0
        : this.#messages.findIndex((m) => m.cursor > after);
      return from < 0 ? [] : this.#messages.slice(from, from + limit);
    },
    ack: (cursor: string): number => {
      const n = this.#messages.findIndex((m) => m.cursor > cursor);
      const done = n < 0 ? this.#messages : this.#messages.slice(0, n);
      this.#drop(done);
      return done.length;
    },
    forget: (cursors: string[]): null => {
      const set = new Set(cursors);
      this.#drop(this.#messages.filter((m) => set.has(m.cursor)));
      return null;
    },
    groups: (): string[] => [...this.#groups],
    /** The current version, for {@link InboxObject.waitChange}. */
    version: (): string => `${this.#boot}/${this.#version}`,
    /**
     * Answers the current version as soon as it differs from `seen`, or
     * `seen` at the timeout.
     */
    waitChange: async (seen: string, timeoutMs: number): Promise<string> => {
      const now = () => `${this.#boot}/${this.#version}`;
      if (now() !== seen) return now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.add(resolve);
        timer = setTimeout(() => {
          this.#waiters.delete(resolve);
          resolve();
        }, Math.max(0, timeoutMs));
      });
      clearTimeout(timer);
      return now();
    },
  };

  #drop(done: InboxMessage[]): void {
    if (done.length === 0) return;
    const gone = new Set(done.map((m) => m.cursor));
    this.#messages = this.#messages.filter((m) => !gone.has(m.cursor));
    // Their dedup keys stay known in memory. After a restart only the
    // unacknowledged ones are: a group object retries only deliveries it
    // did not see complete, which were never acknowledged.
    this.#storage.delete(done.map((m) => `m/${m.cursor}`));
  }
}
