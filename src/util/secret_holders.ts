/**
 * The registry of what holds something made from secret bytes: a cache of
 * imported keys registers itself for a buffer, and wiping the buffer
 * ({@link forgetSecret}, called by `wipe()`) makes every holder drop what
 * it made from it. Dependency-free, so the byte helpers and the crypto
 * providers can both use it.
 *
 * @module
 */

/** Something that keeps values made from secret buffers. */
export interface SecretHolder {
  /** Drops (and wipes) whatever it keeps for `raw`. */
  forget(raw: Uint8Array): void;
}

/** The holders of each buffer, by the buffer's identity. */
const holders = new WeakMap<Uint8Array, SecretHolder[]>();

/**
 * Records that `holder` keeps something made from `raw`, so that
 * {@link forgetSecret} reaches it. Registering twice is one registration.
 *
 * @param raw the secret bytes
 * @param holder what keeps a value made from them
 */
export function holdSecret(raw: Uint8Array, holder: SecretHolder): void {
  const list = holders.get(raw);
  if (!list) holders.set(raw, [holder]);
  else if (!list.includes(holder)) list.push(holder);
}

/**
 * Makes every holder of `raw` drop what it made from it: for secrets
 * deleted before their buffer becomes garbage, such as a hash ratchet's
 * consumed generation, so that nothing made from them (a copy, an imported
 * key) outlives them in a cache.
 *
 * @param raw the secret bytes whose derived values go
 */
export function forgetSecret(raw: Uint8Array): void {
  const list = holders.get(raw);
  if (!list) return;
  holders.delete(raw);
  for (const holder of list) holder.forget(raw);
}
