/**
 * {@link Storage} on Deno KV: a local SQLite file with `Deno.openKv(path)`,
 * or the distributed KV of Deno Deploy.
 *
 * Layout, for the name `webmls` (the default):
 *
 * - `["webmls", ...segments]`: a value, its key split on `/`. Values up to
 *   64 KiB are stored as they are; a larger one is stored as a manifest
 *   `{ gen, chunks, length }` that points to its chunks.
 * - `["webmls:chunks", gen, i]`: chunk `i` (at most 64 KiB) of the value
 *   generation `gen`, a random id. Chunks are written once and never changed.
 * - `["webmls:gc", gen]`: the chunks of `gen` are not (or not yet) referenced
 *   by a manifest; `staged` ones belong to a batch in flight.
 *
 * A batch stages the chunks of its large values first (invisible: no
 * manifest points to them), then makes every change visible in one
 * `kv.atomic()` that checks the versionstamps it read, so a conditional
 * batch ({@link BatchOptions.expect}) compares the values it read and
 * commits only if none of them changed since: one writer wins across
 * processes sharing the file. Chunks replaced by it
 * are deleted afterwards; a crash in between leaves only garbage, collected
 * by a later batch. So a batch is atomic however large its values; when the
 * small values of a batch together approach KV's 800 KiB per atomic
 * operation, the largest are chunked too. What remains of KV's limits: a
 * batch writes at most 100 distinct keys (one versionstamp check each) and
 * a key is at most about 2 KiB; beyond that a batch throws
 * `MlsError("storage_limit")` and changes nothing.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import {
  type BatchOptions,
  conditionHolds,
  conflict,
  type Storage,
  type StorageCondition,
  type StorageValue,
  type StorageWrite,
} from "./storage.ts";

/** Deno KV's largest value, in bytes. */
const CHUNK_SIZE = 65536;
/** Chunks per staging commit: well under KV's 800 KiB per atomic operation. */
const CHUNKS_PER_COMMIT = 10;
/** KV's limits for one atomic operation. */
const MAX_CHECKS = 100;
const MAX_MUTATIONS = 1000;
/**
 * Bytes of values written directly by the visible atomic operation; beyond
 * this, values are staged as chunks too (KV allows 800 KiB per operation).
 */
const VISIBLE_BUDGET = 512 * 1024;
/** Reads per `getMany`. */
const MAX_READS = 10;
/** How often a batch retries after a concurrent writer changed its keys. */
const MAX_ATTEMPTS = 20;
/** Staged chunks older than this are garbage from a crashed writer. */
const STALE_STAGING_MS = 60 * 60 * 1000;

/** The stored form of a value too large for one KV entry. */
interface Manifest {
  gen: string;
  chunks: number;
  length: number;
}

/** A garbage-collection marker. */
interface GcMarker {
  staged: boolean;
  at: number;
  chunks: number;
}

/** Options of {@link DenoKvStorage}. */
export interface DenoKvStorageOptions {
  /**
   * The first part of every KV key, so several stores can share one
   * database. Default `"webmls"`.
   */
  name?: string;
}

function isManifest(v: unknown): v is Manifest {
  const m = v as Manifest;
  return typeof m === "object" && m !== null && !(m instanceof Uint8Array) &&
    typeof m.gen === "string" && typeof m.chunks === "number" &&
    typeof m.length === "number";
}

function randomGen(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * The keys whose values are staged as chunks: those over 64 KiB, and then
 * the largest others until the visible part of the batch is small.
 */
function toChunk(values: Map<string, Uint8Array | undefined>): Set<string> {
  const out = new Set<string>();
  let visibleBytes = 0;
  const small: Array<[string, number]> = [];
  for (const [key, v] of values) {
    if (v === undefined) continue;
    if (v.length > CHUNK_SIZE) out.add(key);
    else {
      visibleBytes += v.length;
      small.push([key, v.length]);
    }
  }
  small.sort((a, b) => b[1] - a[1]);
  for (const [key, length] of small) {
    if (visibleBytes <= VISIBLE_BUDGET) break;
    out.add(key);
    visibleBytes -= length;
  }
  return out;
}

/**
 * Runs a KV call again while SQLite reports the database busy (another
 * connection to the same file is writing), for up to about 5 seconds.
 */
async function busy<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 5000;
  for (let wait = 1;; wait = Math.min(wait * 2, 100)) {
    try {
      return await call();
    } catch (e) {
      const locked = e instanceof Error &&
        /database is locked/i.test(e.message);
      if (!locked || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
    }
  }
}

/** Maps KV's limit errors to `storage_limit`, anything else to a failure. */
function kvError(e: unknown, what: string): MlsError {
  if (e instanceof MlsError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const limit = /too large|too many|max \d+/i.test(msg);
  return new MlsError(
    limit ? "storage_limit" : "storage_failure",
    `Deno KV ${what}: ${msg}`,
    undefined,
    { cause: e },
  );
}

/**
 * A {@link Storage} on Deno KV (needs `--unstable-kv`, or `"unstable":
 * ["kv"]` in `deno.json`). Keys are split on `/` into a KV key; values
 * larger than KV's 64 KiB limit are split into chunks transparently. It
 * cannot store `CryptoKey` objects, so signature keys are kept as bytes.
 *
 * @example
 * ```ts ignore
 * import { DenoKvStorage } from "@webmls/mls";
 * const storage = new DenoKvStorage("./webmls.kv");
 * await storage.batch([{ key: "a/b", value: new Uint8Array([1]) }]);
 * console.log(await storage.get("a/b"), await storage.list("a/"));
 * await storage.close();
 * ```
 */
export class DenoKvStorage implements Storage {
  /** KV serializes values; a `CryptoKey` cannot be kept. */
  readonly canStoreCryptoKeys = false;
  /** Conditions are checked with versionstamps, across processes. */
  readonly conditionalBatches = true;
  #kv: Promise<Deno.Kv>;
  #owned: boolean;
  #closed = false;
  #name: string;
  #swept = false;

  /**
   * Opens a store.
   *
   * @param pathOrKv a database path for `Deno.openKv` (omitted: Deno's
   *   default database), or an already opened `Deno.Kv`, which
   *   {@link DenoKvStorage.close} then leaves open
   * @param options the key namespace
   */
  constructor(pathOrKv?: string | Deno.Kv, options: DenoKvStorageOptions = {}) {
    this.#name = options.name ?? "webmls";
    if (typeof pathOrKv === "string" || pathOrKv === undefined) {
      this.#owned = true;
      const deno = (globalThis as { Deno?: typeof Deno }).Deno;
      this.#kv = typeof deno?.openKv === "function"
        ? deno.openKv(pathOrKv)
        : Promise.reject(
          new MlsError("invalid_argument", "Deno KV is not available here"),
        );
      // A failed open is reported by the first call, not as unhandled.
      this.#kv.catch(() => {});
    } else {
      this.#owned = false;
      this.#kv = Promise.resolve(pathOrKv);
    }
  }

  async #open(): Promise<Deno.Kv> {
    if (this.#closed) {
      throw new MlsError("storage_closed", "the storage is closed");
    }
    try {
      return await this.#kv;
    } catch (e) {
      throw kvError(e, "open");
    }
  }

  #entryKey(key: string): Deno.KvKey {
    if (typeof key !== "string") {
      throw new MlsError("invalid_argument", "a storage key must be a string");
    }
    return [this.#name, ...key.split("/")];
  }

  #chunkKey(gen: string, i: number): Deno.KvKey {
    return [`${this.#name}:chunks`, gen, i];
  }

  #gcKey(gen: string): Deno.KvKey {
    return [`${this.#name}:gc`, gen];
  }

  /** Reads one key; a chunked value is reassembled. */
  async get(key: string): Promise<StorageValue | undefined> {
    const kv = await this.#open();
    const k = this.#entryKey(key);
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const entry = await busy(() => kv.get(k));
        if (entry.value === null) return undefined;
        if (entry.value instanceof Uint8Array) return entry.value;
        if (!isManifest(entry.value)) {
          throw new MlsError("storage_failure", `unexpected value at ${key}`);
        }
        const value = await this.#readChunks(kv, entry.value);
        // Null: the value was replaced and its chunks collected meanwhile.
        if (value) return value;
      }
    } catch (e) {
      throw kvError(e, "get");
    }
    throw new MlsError("storage_conflict", `${key} keeps changing`);
  }

  async #readChunks(
    kv: Deno.Kv,
    m: Manifest,
  ): Promise<Uint8Array | null> {
    const out = new Uint8Array(m.length);
    let offset = 0;
    for (let i = 0; i < m.chunks; i += MAX_READS) {
      const keys: Deno.KvKey[] = [];
      for (let j = i; j < Math.min(m.chunks, i + MAX_READS); j++) {
        keys.push(this.#chunkKey(m.gen, j));
      }
      for (const e of await busy(() => kv.getMany<Uint8Array[]>(keys))) {
        if (!(e.value instanceof Uint8Array)) return null;
        if (offset + e.value.length > m.length) {
          throw new MlsError("storage_failure", "chunk overflows its value");
        }
        out.set(e.value, offset);
        offset += e.value.length;
      }
    }
    if (offset !== m.length) {
      throw new MlsError("storage_failure", "chunked value is short");
    }
    return out;
  }

  /**
   * Applies all writes atomically (for a key written twice, the last write
   * wins). Throws, having changed nothing, `MlsError("invalid_argument")`
   * for a value that is not a `Uint8Array` (a `CryptoKey` cannot be stored)
   * and `MlsError("storage_limit")` beyond KV's limits (over 100 distinct
   * keys, or a key over about 2 KiB), and `MlsError("storage_conflict")`
   * when a condition of `options.expect` does not hold.
   */
  async batch(
    writes: readonly StorageWrite[],
    options?: BatchOptions,
  ): Promise<void> {
    const kv = await this.#open();
    const expect = options?.expect ?? [];
    for (const c of expect) {
      this.#entryKey(c.key);
      if (c.value !== undefined && !(c.value instanceof Uint8Array)) {
        throw new MlsError("invalid_argument", "a condition's value is bytes");
      }
    }
    // The last write of a key wins, as if applied in order.
    const byKey = new Map<string, Uint8Array | undefined>();
    for (const w of writes) {
      this.#entryKey(w.key); // validates the key
      if (w.value !== undefined && !(w.value instanceof Uint8Array)) {
        throw new MlsError(
          "invalid_argument",
          "Deno KV storage holds bytes only (no CryptoKey)",
          w.key,
        );
      }
      byKey.delete(w.key);
      byKey.set(w.key, w.value);
    }
    const checked = new Set([...byKey.keys(), ...expect.map((c) => c.key)]);
    if (checked.size > MAX_CHECKS) {
      throw new MlsError(
        "storage_limit",
        `a batch writes at most ${MAX_CHECKS} distinct keys`,
      );
    }
    const staged: Array<{ gen: string; chunks: number }> = [];
    let replaced: Array<{ gen: string; chunks: number }>;
    try {
      const visible = new Map<string, Uint8Array | Manifest | undefined>();
      const chunked = toChunk(byKey);
      for (const [key, value] of byKey) {
        if (value !== undefined && chunked.has(key)) {
          const m = await this.#stage(kv, value);
          staged.push({ gen: m.gen, chunks: m.chunks });
          visible.set(key, m);
        } else {
          visible.set(key, value?.slice());
        }
      }
      replaced = await this.#commit(kv, visible, staged, expect);
    } catch (e) {
      // Nothing became visible: drop the staged chunks (best effort).
      await this.#collect(kv, staged).catch(() => {});
      throw kvError(e, "batch");
    }
    // Committed: what remains is garbage collection, retried by a later
    // sweep if it fails now.
    try {
      await this.#collect(kv, replaced);
      if (!this.#swept) {
        this.#swept = true;
        await this.#sweep(kv);
      }
    } catch {
      this.#swept = false;
    }
  }

  /** Writes a large value's chunks under a fresh generation, unreferenced. */
  async #stage(kv: Deno.Kv, value: Uint8Array): Promise<Manifest> {
    const gen = randomGen();
    const chunks = Math.max(1, Math.ceil(value.length / CHUNK_SIZE));
    const marker: GcMarker = { staged: true, at: Date.now(), chunks };
    for (let i = 0; i < chunks; i += CHUNKS_PER_COMMIT) {
      const op = kv.atomic();
      if (i === 0) op.set(this.#gcKey(gen), marker);
      for (let j = i; j < Math.min(chunks, i + CHUNKS_PER_COMMIT); j++) {
        op.set(
          this.#chunkKey(gen, j),
          value.slice(j * CHUNK_SIZE, (j + 1) * CHUNK_SIZE),
        );
      }
      await busy(() => op.commit());
    }
    return { gen, chunks, length: value.length };
  }

  /**
   * The visible step: one atomic operation that checks the versionstamps
   * read, writes entries and manifests, adopts the staged chunks and marks
   * the replaced ones as garbage. Retries when another writer interleaved,
   * unless a condition of `expect` no longer holds (`storage_conflict`).
   */
  async #commit(
    kv: Deno.Kv,
    visible: Map<string, Uint8Array | Manifest | undefined>,
    staged: ReadonlyArray<{ gen: string; chunks: number }>,
    expect: readonly StorageCondition[],
  ): Promise<Array<{ gen: string; chunks: number }>> {
    const keys = [...visible.keys()];
    const conditions = new Map(expect.map((c) => [c.key, c.value]));
    for (const k of conditions.keys()) if (!visible.has(k)) keys.push(k);
    attempts: for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const op = kv.atomic();
      const replaced: Array<{ gen: string; chunks: number }> = [];
      for (let i = 0; i < keys.length; i += MAX_READS) {
        const part = keys.slice(i, i + MAX_READS);
        const olds = await busy(() =>
          kv.getMany(part.map((k) => this.#entryKey(k)))
        );
        for (const [j, old] of olds.entries()) {
          op.check(old);
          const key = part[j];
          if (conditions.has(key)) {
            const now = await this.#valueOf(kv, old.value);
            // Null: replaced since it was read; read again.
            if (now === null) continue attempts;
            if (!conditionHolds(now, conditions.get(key))) throw conflict(key);
          }
          if (!visible.has(key)) continue;
          if (isManifest(old.value)) {
            replaced.push({ gen: old.value.gen, chunks: old.value.chunks });
          }
        }
      }
      let mutations = 0;
      for (const [key, value] of visible) {
        const k = [this.#name, ...key.split("/")];
        if (value === undefined) op.delete(k);
        else op.set(k, value);
        mutations++;
      }
      for (const s of staged) op.delete(this.#gcKey(s.gen));
      const now = Date.now();
      for (const r of replaced) {
        const marker: GcMarker = { staged: false, at: now, chunks: r.chunks };
        op.set(this.#gcKey(r.gen), marker);
      }
      mutations += staged.length + replaced.length;
      if (mutations > MAX_MUTATIONS) {
        throw new MlsError(
          "storage_limit",
          `the batch needs ${mutations} mutations (max ${MAX_MUTATIONS})`,
        );
      }
      const res = await busy(() => op.commit());
      if (res.ok) return replaced;
    }
    throw new MlsError("storage_conflict", "concurrent writers kept winning");
  }

  /**
   * The bytes of an entry's value (a manifest's chunks reassembled), or
   * `null` when its chunks are gone (the value was replaced meanwhile).
   */
  async #valueOf(
    kv: Deno.Kv,
    value: unknown,
  ): Promise<Uint8Array | undefined | null> {
    if (value === null || value === undefined) return undefined;
    if (value instanceof Uint8Array) return value;
    if (isManifest(value)) return await this.#readChunks(kv, value);
    return null;
  }

  /** Deletes the chunks of generations no manifest references. */
  async #collect(
    kv: Deno.Kv,
    gens: ReadonlyArray<{ gen: string; chunks: number }>,
  ): Promise<void> {
    for (const { gen, chunks } of gens) {
      // The marker goes last, so an interrupted collection is resumed.
      for (let i = 0; i < chunks; i += MAX_MUTATIONS) {
        const op = kv.atomic();
        for (let j = i; j < Math.min(chunks, i + MAX_MUTATIONS); j++) {
          op.delete(this.#chunkKey(gen, j));
        }
        await busy(() => op.commit());
      }
      await busy(() => kv.delete(this.#gcKey(gen)));
    }
  }

  /** Collects garbage left by interrupted batches. */
  async #sweep(kv: Deno.Kv): Promise<void> {
    const now = Date.now();
    const gens: Array<{ gen: string; chunks: number }> = [];
    for await (const e of kv.list<GcMarker>({ prefix: [`${this.#name}:gc`] })) {
      const gen = e.key[1];
      const m = e.value;
      if (typeof gen !== "string" || typeof m?.chunks !== "number") continue;
      if (m.staged && now - m.at < STALE_STAGING_MS) continue; // in flight
      gens.push({ gen, chunks: m.chunks });
    }
    await this.#collect(kv, gens);
  }

  /** The keys that start with `prefix`, sorted. */
  async list(prefix: string): Promise<string[]> {
    const kv = await this.#open();
    const parts = this.#entryKey(prefix);
    // The last segment may be partial: list by the complete ones, filter.
    const out: string[] = [];
    try {
      for await (const e of kv.list({ prefix: parts.slice(0, -1) })) {
        if (!e.key.every((p) => typeof p === "string")) continue;
        const key = e.key.slice(1).join("/");
        if (key.startsWith(prefix)) out.push(key);
      }
    } catch (e) {
      throw kvError(e, "list");
    }
    return out.sort();
  }

  /** Closes the database if this store opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    try {
      (await this.#kv).close();
    } catch {
      // It never opened: nothing to close.
    }
  }
}
