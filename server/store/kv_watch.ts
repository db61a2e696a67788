/**
 * Wakes waiters on writes made by other processes sharing the database:
 * one timer per store re-reads every watched key (group records, which
 * every write to a group's log rewrites, and clients' `head` counters,
 * which Welcomes bump), ten per read, and calls the key's listeners when
 * its versionstamp moved. A group's record is watched once however many of
 * its members wait: one change wakes them all.
 *
 * @module
 */

/** Keys read per `getMany` (Deno KV's limit). */
const PER_READ = 10;

interface Watched {
  key: Deno.KvKey;
  versionstamp: string | null;
  listeners: Set<() => void>;
}

/** Watches keys for changes. */
export class KeyWatcher {
  readonly #kv: Deno.Kv;
  readonly #intervalMs: number;
  readonly #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  /**
   * @param kv the database
   * @param intervalMs how often watched keys are re-read
   */
  constructor(kv: Deno.Kv, intervalMs: number) {
    this.#kv = kv;
    this.#intervalMs = intervalMs;
  }

  /**
   * Calls `onChange` whenever `key` is written after this call returns;
   * the returned function stops that.
   */
  async watch(key: Deno.KvKey, onChange: () => void): Promise<() => void> {
    const id = JSON.stringify(key);
    let w = this.#watched.get(id);
    if (!w) {
      const { versionstamp } = await this.#kv.get(key);
      w = this.#watched.get(id) ?? { key, versionstamp, listeners: new Set() };
      this.#watched.set(id, w);
    }
    w.listeners.add(onChange);
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs);
    const entry = w;
    return () => {
      entry.listeners.delete(onChange);
      if (entry.listeners.size > 0) return;
      if (this.#watched.get(id) === entry) this.#watched.delete(id);
      if (this.#watched.size === 0) this.stop();
    };
  }

  async #tick(): Promise<void> {
    if (this.#busy) return; // the previous round is still reading
    this.#busy = true;
    try {
      const all = [...this.#watched.values()];
      for (let i = 0; i < all.length; i += PER_READ) {
        const part = all.slice(i, i + PER_READ);
        const got = await this.#kv.getMany(part.map((w) => w.key));
        part.forEach((w, j) => {
          const vs = got[j].versionstamp;
          if (vs === w.versionstamp) return;
          w.versionstamp = vs;
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
