/**
 * The chat page's message history, kept in the library's {@link Storage}
 * next to the MLS state (in the browser an `EncryptedStorage` over
 * `IndexedDbStorage`, so history is encrypted at rest like the keys).
 *
 * Keys, per signed-in client (`<owner>`, its client id):
 * - `chat/<owner>/groups/<groupId>`: {@link ChatGroupMeta} (JSON)
 * - `chat/<owner>/msgs/<groupId>/<seq>`: a {@link ChatMessage} (JSON),
 *   `seq` zero-padded so that keys list in order
 * - `chat/<owner>/contacts`: client id -> display name (JSON)
 *
 * A message and its group's meta are written in one batch, so the unread
 * count and the history never disagree. Writes of one history object run
 * one at a time; one tab per client is assumed (a second tab would keep
 * its own counters).
 *
 * @module
 */

import type { Storage, StorageWrite } from "../../mod.ts";

/** One line of a conversation. */
export interface ChatMessage {
  /** Unique in the group (a random id for own messages, else the seq). */
  readonly id: string;
  /** `text`: someone's message; `system`: an event (joined, removed...). */
  readonly kind: "text" | "system";
  /** The sender's client id (empty for system lines). */
  readonly from: string;
  /** The text. */
  readonly text: string;
  /** When it was sent (as the sender's envelope says) or happened, ms. */
  readonly at: number;
  /**
   * Own messages: `sending`, `delivered` (the service accepted it, so it
   * is in every member's inbox), `failed`, or `unconfirmed` (the page
   * closed while it was sending); others' messages `received`.
   */
  readonly state:
    | "sending"
    | "delivered"
    | "failed"
    | "unconfirmed"
    | "received";
}

/** What the page keeps about a group besides its messages. */
export interface ChatGroupMeta {
  /** Messages not yet seen. */
  unread: number;
  /** The next message's sequence number. */
  next: number;
  /** Set once this client was removed (or left): by whom and when. */
  removed?: { by: string; at: number; epoch: string };
  /** When the page first saw the group, ms (orders the group list). */
  since: number;
  /** The group's name as last seen (shown once the state is gone). */
  name?: string;
}

/** Messages kept per group; older ones are deleted. */
export const MAX_MESSAGES = 500;

const enc = new TextEncoder();
const dec = new TextDecoder();

function json(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v));
}

function parse<T>(v: unknown): T | undefined {
  return v instanceof Uint8Array ? JSON.parse(dec.decode(v)) as T : undefined;
}

/** The chat history of one client, in a {@link Storage}. */
export class ChatHistory {
  readonly #storage: Storage;
  readonly #base: string;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * History of client `owner` in `storage`.
   *
   * @example
   * ```ts
   * import { MemoryStorage } from "../../mod.ts";
   * import { ChatHistory } from "./history.ts";
   * const h = new ChatHistory(new MemoryStorage(), "ab12");
   * await h.add("g1", { kind: "text", from: "cd34", text: "hi", at: 1, state: "received" }, { unread: true });
   * console.log((await h.meta("g1")).unread); // 1
   * ```
   */
  constructor(storage: Storage, owner: string) {
    this.#storage = storage;
    this.#base = `chat/${owner}/`;
  }

  #metaKey(g: string): string {
    return `${this.#base}groups/${g}`;
  }

  #msgPrefix(g: string): string {
    return `${this.#base}msgs/${g}/`;
  }

  #one<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** A group's meta (a fresh one if the page never saw the group). */
  async meta(groupId: string): Promise<ChatGroupMeta> {
    return parse<ChatGroupMeta>(
      await this.#storage.get(this.#metaKey(groupId)),
    ) ?? { unread: 0, next: 0, since: Date.now() };
  }

  /** The groups the page has history of, oldest first. */
  async groups(): Promise<{ groupId: string; meta: ChatGroupMeta }[]> {
    const prefix = `${this.#base}groups/`;
    const out = [];
    for (const key of await this.#storage.list(prefix)) {
      const meta = parse<ChatGroupMeta>(await this.#storage.get(key));
      if (meta) out.push({ groupId: key.slice(prefix.length), meta });
    }
    return out.sort((a, b) => a.meta.since - b.meta.since);
  }

  /** Records a group (no message), so that it is listed. */
  touch(groupId: string): Promise<void> {
    return this.#one(async () => {
      const key = this.#metaKey(groupId);
      if (await this.#storage.get(key)) return;
      await this.#storage.batch([{
        key,
        value: json(await this.meta(groupId)),
      }]);
    });
  }

  /**
   * Appends a message (its id: `id`, else its sequence number); with
   * `unread`, counts it as unread. Deletes the oldest beyond
   * {@link MAX_MESSAGES}. Resolves with the stored message.
   */
  add(
    groupId: string,
    m: Omit<ChatMessage, "id"> & { id?: string },
    options: { unread?: boolean } = {},
  ): Promise<ChatMessage> {
    return this.#one(async () => {
      const meta = await this.meta(groupId);
      const seq = meta.next++;
      if (options.unread) meta.unread++;
      const msg: ChatMessage = { ...m, id: m.id ?? String(seq) };
      const writes: StorageWrite[] = [
        { key: this.#msgKey(groupId, seq), value: json(msg) },
        { key: this.#metaKey(groupId), value: json(meta) },
      ];
      const keys = await this.#storage.list(this.#msgPrefix(groupId));
      for (
        const old of keys.slice(0, Math.max(0, keys.length + 1 - MAX_MESSAGES))
      ) {
        writes.push({ key: old });
      }
      await this.#storage.batch(writes);
      return msg;
    });
  }

  #msgKey(g: string, seq: number): string {
    return this.#msgPrefix(g) + String(seq).padStart(12, "0");
  }

  /** A group's messages, oldest first. */
  async messages(groupId: string): Promise<ChatMessage[]> {
    const out: ChatMessage[] = [];
    for (const key of await this.#storage.list(this.#msgPrefix(groupId))) {
      const m = parse<ChatMessage>(await this.#storage.get(key));
      if (m) out.push(m);
    }
    return out;
  }

  /**
   * Marks own messages still `sending` as `unconfirmed`: for a page that
   * starts again, whose earlier sends may or may not have reached the
   * service.
   */
  settleSending(groupId: string): Promise<void> {
    return this.#one(async () => {
      const writes: StorageWrite[] = [];
      for (const key of await this.#storage.list(this.#msgPrefix(groupId))) {
        const m = parse<ChatMessage>(await this.#storage.get(key));
        if (m?.state !== "sending") continue;
        writes.push({ key, value: json({ ...m, state: "unconfirmed" }) });
      }
      if (writes.length > 0) await this.#storage.batch(writes);
    });
  }

  /** Changes the state of an own message (found by id). */
  setState(
    groupId: string,
    id: string,
    state: ChatMessage["state"],
  ): Promise<void> {
    return this.#one(async () => {
      const keys = await this.#storage.list(this.#msgPrefix(groupId));
      // Own messages are recent: look from the end.
      for (let i = keys.length - 1; i >= 0; i--) {
        const m = parse<ChatMessage>(await this.#storage.get(keys[i]));
        if (m?.id !== id) continue;
        await this.#storage.batch([{
          key: keys[i],
          value: json({ ...m, state }),
        }]);
        return;
      }
    });
  }

  /** Sets a group's unread count to zero. */
  markRead(groupId: string): Promise<void> {
    return this.#update(groupId, (m) => m.unread = 0);
  }

  /**
   * Records that this client was removed from a group (`undefined`: it
   * was added again).
   */
  markRemoved(
    groupId: string,
    removed: ChatGroupMeta["removed"],
  ): Promise<void> {
    return this.#update(groupId, (m) => {
      if (removed) m.removed = removed;
      else delete m.removed;
    });
  }

  /** Remembers the group's name. */
  setName(groupId: string, name: string): Promise<void> {
    return this.#update(groupId, (m) => m.name = name);
  }

  #update(groupId: string, f: (m: ChatGroupMeta) => void): Promise<void> {
    return this.#one(async () => {
      const meta = await this.meta(groupId);
      f(meta);
      await this.#storage.batch([{
        key: this.#metaKey(groupId),
        value: json(meta),
      }]);
    });
  }

  /** The display names the page learned (client id -> name). */
  async contacts(): Promise<Record<string, string>> {
    return parse<Record<string, string>>(
      await this.#storage.get(`${this.#base}contacts`),
    ) ?? {};
  }

  /** Remembers display names (merged into {@link contacts}). */
  saveContacts(names: Record<string, string>): Promise<void> {
    return this.#one(async () => {
      const all = { ...await this.contacts(), ...names };
      await this.#storage.batch([{
        key: `${this.#base}contacts`,
        value: json(all),
      }]);
    });
  }
}
