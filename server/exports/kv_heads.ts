/**
 * Wakes a `KvExportStore`'s waiters on stores by other processes: every
 * store of a consumer's exports bumps its head counter, and each watched
 * head is followed two ways — `kv.watch` (immediate where the database
 * pushes changes, as Deno Deploy's does and a local file does for its own
 * process's handles) and one shared timer re-reading every watched head,
 * ten per read (a local SQLite file does not tell one process of another's
 * writes). One watch per head however many wait on it.
 *
 * @module
 */

/** Heads read per `getMany` (Deno KV's limit). */
const PER_READ = 10;

interface Watched {
  readonly key: Deno.KvKey;
  users: number;
  head: bigint | undefined;
  readonly reader: ReadableStreamDefaultReader<Deno.KvEntryMaybe<unknown>[]>;
  readonly first: Promise<unknown>;
}

function headOf(e: Deno.KvEntryMaybe<unknown>): bigint {
  return e.value instanceof Deno.KvU64 ? e.value.value : 0n;
}

/** Follows head keys; calls `onChange(name)` when one moves. */
export class KvHeads {
  readonly #kv: Deno.Kv;
  readonly #intervalMs: number;
  readonly #onChange: (name: string) => void;
  readonly #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  /**
   * @param kv the database
   * @param intervalMs how often the timer re-reads the heads
   * @param onChange called with a head's name when it moves
   */
  constructor(
    kv: Deno.Kv,
    intervalMs: number,
    onChange: (name: string) => void,
  ) {
    this.#kv = kv;
    this.#intervalMs = intervalMs;
    this.#onChange = onChange;
  }

  #moved(name: string, w: Watched, head: bigint): void {
    if (this.#watched.get(name) !== w || head === w.head) return;
    w.head = head;
    this.#onChange(name);
  }

  /**
   * Follows `key` under `name` until the returned function is called (as
   * many times as `watch` was). Resolves once the current head is known,
   * so every later move is a store after this call.
   */
  async watch(name: string, key: Deno.KvKey): Promise<() => void> {
    let w = this.#watched.get(name);
    if (!w) {
      const reader = this.#kv.watch([key]).getReader();
      const first = reader.read();
      const entry: Watched = { key, users: 0, head: undefined, reader, first };
      this.#watched.set(name, w = entry);
      (async () => {
        let r = await first;
        entry.head ??= r.done ? 0n : headOf(r.value[0]);
        while (!(r = await reader.read()).done) {
          this.#moved(name, entry, headOf(r.value[0]));
        }
      })().catch(() => {}); // cancelled, or the database closed
    }
    const watched = w;
    watched.users++;
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--watched.users > 0) return;
      if (this.#watched.get(name) === watched) this.#watched.delete(name);
      watched.reader.cancel().catch(() => {});
      if (this.#watched.size === 0) this.stop();
    };
    try {
      await watched.first;
    } catch {
      // The database closed: nothing will move; the caller's re-check ends.
    }
    return release;
  }

  async #tick(): Promise<void> {
    if (this.#busy) return; // the previous round is still reading
    this.#busy = true;
    try {
      const names = [...this.#watched.keys()];
      for (let i = 0; i < names.length; i += PER_READ) {
        const part = names.slice(i, i + PER_READ)
          .map((n) => [n, this.#watched.get(n)] as const)
          .filter((p): p is readonly [string, Watched] => p[1] !== undefined);
        const got = await this.#kv.getMany(part.map(([, w]) => w.key));
        part.forEach(([n, w], j) => {
          if (w.head !== undefined) this.#moved(n, w, headOf(got[j]));
        });
      }
    } catch {
      this.stop(); // the database was closed
    } finally {
      this.#busy = false;
    }
  }

  /** Stops the timer and every watch. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Ends every watch (the store closes). */
  close(): void {
    this.stop();
    for (const w of this.#watched.values()) w.reader.cancel().catch(() => {});
    this.#watched.clear();
  }
}
