/**
 * Wakes waiters on writes made by other processes sharing the database:
 * every delivery bumps the recipient's `head` counter, and one timer per
 * store re-reads the heads of every watched inbox, ten per read, instead
 * of one timer and one read per waiting long poll or stream.
 *
 * @module
 */

import type { Keys } from "./kv_keys.ts";

/** Heads read per `getMany` (Deno KV's limit). */
const PER_READ = 10;

interface Watched {
  head: bigint;
  listeners: Set<() => void>;
}

/** Watches inbox heads for changes. */
export class HeadWatcher {
  readonly #kv: Deno.Kv;
  readonly #keys: Keys;
  readonly #intervalMs: number;
  readonly #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  /**
   * @param kv the database
   * @param keys key builder
   * @param intervalMs how often heads are re-read
   */
  constructor(kv: Deno.Kv, keys: Keys, intervalMs: number) {
    this.#kv = kv;
    this.#keys = keys;
    this.#intervalMs = intervalMs;
  }

  async #head(client: string): Promise<bigint> {
    const e = await this.#kv.get<Deno.KvU64>(this.#keys.head(client));
    return e.value?.value ?? 0n;
  }

  /**
   * Calls `onChange` whenever `client`'s head moves after this call
   * returns; the returned function stops that.
   */
  async watch(client: string, onChange: () => void): Promise<() => void> {
    let w = this.#watched.get(client);
    if (!w) {
      const head = await this.#head(client);
      w = this.#watched.get(client) ?? { head, listeners: new Set() };
      this.#watched.set(client, w);
    }
    w.listeners.add(onChange);
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs);
    const entry = w;
    return () => {
      entry.listeners.delete(onChange);
      if (entry.listeners.size > 0) return;
      if (this.#watched.get(client) === entry) this.#watched.delete(client);
      if (this.#watched.size === 0) this.stop();
    };
  }

  async #tick(): Promise<void> {
    if (this.#busy) return; // the previous round is still reading
    this.#busy = true;
    try {
      const clients = [...this.#watched.keys()];
      for (let i = 0; i < clients.length; i += PER_READ) {
        const part = clients.slice(i, i + PER_READ);
        const got = await this.#kv.getMany<Deno.KvU64[]>(
          part.map((c) => this.#keys.head(c)),
        );
        part.forEach((c, j) => {
          const w = this.#watched.get(c);
          const head = got[j].value?.value ?? 0n;
          if (!w || head === w.head) return;
          w.head = head;
          for (const f of [...w.listeners]) f();
        });
      }
    } catch {
      this.stop(); // the database was closed
    } finally {
      this.#busy = false;
    }
  }

  /** Stops the timer (watching again restarts it). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
