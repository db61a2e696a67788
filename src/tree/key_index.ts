/**
 * A string-keyed index that forks in O(log n): the lookup maps behind
 * {@link RatchetTree}'s "find leaf by key" helpers. A fork shares every
 * existing entry with its origin; each side then writes to its own small
 * layer. Layers are kept geometrically decreasing in size (a newer layer is
 * merged into the one below once it reaches half that one's size), so there
 * are O(log n) layers, a lookup costs O(log n) map probes, and merging costs
 * O(log n) amortized per write.
 *
 * @module
 */

const TOMBSTONE = -1;

/** A map from key strings to non-negative integers, cheap to fork. */
export class KeyIndex {
  #frozen: ReadonlyMap<string, number>[];
  #own: Map<string, number>;

  /** An empty index. */
  constructor() {
    this.#frozen = [];
    this.#own = new Map();
  }

  /** The value for `key`, or `undefined`. */
  get(key: string): number | undefined {
    let v = this.#own.get(key);
    for (let i = this.#frozen.length - 1; v === undefined && i >= 0; i--) {
      v = this.#frozen[i].get(key);
    }
    return v === TOMBSTONE ? undefined : v;
  }

  /** Sets `key` to `value` (a non-negative integer). */
  set(key: string, value: number): void {
    this.#own.set(key, value);
  }

  /** Removes `key` if it currently maps to `value`. */
  deleteIf(key: string, value: number): void {
    if (this.get(key) !== value) return;
    if (this.#frozen.length === 0) this.#own.delete(key);
    else this.#own.set(key, TOMBSTONE);
  }

  /** An independent copy sharing all current entries. */
  fork(): KeyIndex {
    this.#freeze();
    const out = new KeyIndex();
    out.#frozen = this.#frozen.slice();
    return out;
  }

  #freeze(): void {
    if (this.#own.size === 0) return;
    const layers = [...this.#frozen, this.#own];
    while (layers.length >= 2) {
      const newer = layers[layers.length - 1];
      const older = layers[layers.length - 2];
      if (newer.size * 2 < older.size) break;
      const merged = new Map(older);
      const bottom = layers.length === 2;
      for (const [k, v] of newer) {
        if (v === TOMBSTONE && bottom) merged.delete(k);
        else merged.set(k, v);
      }
      layers.splice(layers.length - 2, 2, merged);
    }
    this.#frozen = layers;
    this.#own = new Map();
  }
}
