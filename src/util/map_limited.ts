/**
 * Bounded-concurrency map for fan-outs of crypto calls.
 *
 * Each `crypto.subtle` call is an async op run on a thread pool; issuing
 * thousands at once (one per leaf or per new member) makes the pool thrash:
 * measured on two cores, 4,000 Ed25519 verifications all at once took 1.5–2x
 * longer than the same with 64 in flight. Fan-outs over group members go
 * through here instead of a bare `Promise.all`.
 *
 * @module
 */

/** How many items of one fan-out are in flight at a time. */
export const FAN_OUT_LIMIT = 64;

/**
 * `Promise.all(items.map(fn))` with at most `limit` calls of `fn` pending.
 * Results keep the order of `items`; the first rejection rejects the whole
 * (calls already started run to completion, no new ones start).
 */
export function mapLimited<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  limit: number = FAN_OUT_LIMIT,
): Promise<R[]> {
  if (items.length <= limit) return Promise.all(items.map(fn));
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  return Promise.all(Array.from({ length: limit }, worker)).then(() => out);
}
