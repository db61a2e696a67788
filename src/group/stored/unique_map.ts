/**
 * The one codec of a map stored as a vector of entries (the proposals,
 * update keys and resumption PSKs of a state, the node secrets and leaves
 * of a secret tree; layouts in `format.ts`). A canonical encoding has each
 * key once, so decoding refuses a key seen twice instead of letting the
 * later entry win.
 *
 * @module
 */

import { type Codec, vector } from "../../codec/codec.ts";
import { MlsError } from "../../errors.ts";

/**
 * A `Map` stored as `entry items<V>`, in the map's order.
 *
 * @param entry the codec of one entry
 * @param split an entry's key and value (decoding; may throw `MlsError`)
 * @param join the entry of a key and value (encoding; may throw `MlsError`)
 * @returns the codec; decoding throws `invalid_value` naming the entry of
 *   a key seen twice
 */
export function uniqueMap<E, K, V>(
  entry: Codec<E>,
  split: (e: E) => readonly [K, V],
  join: (key: K, value: V) => E,
): Codec<Map<K, V>> {
  const items = vector(entry);
  return {
    encode: (w, m) => items.encode(w, Array.from(m, ([k, v]) => join(k, v))),
    decode: (r, f) => {
      const list = items.decode(r, f);
      const out = new Map<K, V>();
      for (let i = 0; i < list.length; i++) {
        const [k, v] = split(list[i]);
        if (out.has(k)) {
          throw new MlsError("invalid_value", "duplicate key", `${f}[${i}]`);
        }
        out.set(k, v);
      }
      return out;
    },
  };
}
