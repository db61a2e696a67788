/**
 * Batched point reads on Deno KV: the keys asked for by every caller
 * within one turn of the event loop are read together, each key once, ten
 * per `getMany`. When a message wakes the hundred members of a group
 * waiting in this process, their fetches then cost a few reads in all
 * instead of one each. A batch is read after every request in it was made,
 * so each caller sees everything committed before its request.
 *
 * @module
 */

/** A cheap identity of a key (cheaper than JSON, and it types its parts). */
function keyId(k: Deno.KvKey): string {
  let id = "";
  for (const p of k) id += `${typeof p}:${String(p)}\u0000`;
  return id;
}

/** Keys per `getMany` (Deno KV's limit). */
const PER_READ = 10;

interface Request {
  keys: readonly Deno.KvKey[];
  done: PromiseWithResolvers<Deno.KvEntryMaybe<unknown>[]>;
}

/** Coalesces point reads of one database. */
export class ReadBatcher {
  readonly #kv: Deno.Kv;
  #queue: Request[] = [];

  /** @param kv the database */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** Reads `keys` (in a batch with other callers' keys). */
  getMany(
    keys: readonly Deno.KvKey[],
  ): Promise<Deno.KvEntryMaybe<unknown>[]> {
    const done = Promise.withResolvers<Deno.KvEntryMaybe<unknown>[]>();
    this.#queue.push({ keys, done });
    if (this.#queue.length === 1) setTimeout(() => this.#flush(), 0);
    return done.promise;
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const index = new Map<string, number>();
    const unique: Deno.KvKey[] = [];
    const ids = batch.map((r) =>
      r.keys.map((k) => {
        const id = keyId(k);
        let i = index.get(id);
        if (i === undefined) {
          i = unique.length;
          index.set(id, i);
          unique.push(k);
        }
        return i;
      })
    );
    try {
      const parts: Promise<Deno.KvEntryMaybe<unknown>[]>[] = [];
      for (let i = 0; i < unique.length; i += PER_READ) {
        parts.push(this.#kv.getMany(unique.slice(i, i + PER_READ)));
      }
      const got = (await Promise.all(parts)).flat();
      batch.forEach((r, i) => r.done.resolve(ids[i].map((j) => got[j])));
    } catch (e) {
      for (const r of batch) r.done.reject(e);
    }
  }
}
