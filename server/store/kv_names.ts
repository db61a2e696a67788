/**
 * {@link NameStore} on Deno KV: a claim reads the claimant's record and
 * the names involved, then writes in one atomic operation checked against
 * their versionstamps, so that two processes cannot give one name to two
 * clients.
 *
 * @module
 */

import {
  type ClaimNameResult,
  claimWrites,
  type NameEntry,
  type NameRecord,
  type NameStore,
  type NameStoreLimits,
  type OwnerRecord,
} from "./names.ts";

/** Display names on Deno KV, under `prefix` (default `["webmls-names"]`). */
export class KvNameStore implements NameStore {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #owns: boolean;

  /**
   * Wraps an open database (closed by {@link close} only if `ownsKv`).
   *
   * @example Next to a KvStore on the same database
   * ```ts ignore
   * const kv = await Deno.openKv(".data/webmls.kv");
   * const app = createApp(new KvStore(kv, { ownsKv: false }), {
   *   names: new KvNameStore(kv),
   * });
   * ```
   */
  constructor(
    kv: Deno.Kv,
    options: { prefix?: Deno.KvKey; ownsKv?: boolean } = {},
  ) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["webmls-names"];
    this.#owns = options.ownsKv ?? false;
  }

  #name(key: string): Deno.KvKey {
    return [...this.#prefix, "name", key];
  }

  #owner(clientId: string): Deno.KvKey {
    return [...this.#prefix, "owner", clientId];
  }

  /** See {@link NameStore.claim}. */
  async claim(
    clientId: string,
    key: string,
    display: string,
    now: number,
    limits: NameStoreLimits,
  ): Promise<ClaimNameResult> {
    for (;;) {
      const owner = await this.#kv.get<OwnerRecord>(this.#owner(clientId));
      const keys = [key, owner.value?.current, owner.value?.previous];
      const recs = await Promise.all(
        keys.map((k) =>
          k === undefined ? null : this.#kv.get<NameRecord>(this.#name(k))
        ),
      );
      const w = claimWrites(clientId, key, display, now, limits, {
        owner: owner.value,
        wanted: recs[0]?.value ?? null,
        current: recs[1]?.value ?? null,
        previous: recs[2]?.value ?? null,
      });
      if (!w) return "taken";
      const op = this.#kv.atomic().check(owner);
      for (const r of recs) if (r) op.check(r);
      for (const [k, v] of w.names) {
        if (v) op.set(this.#name(k), v);
        else op.delete(this.#name(k));
      }
      op.set(this.#owner(clientId), w.owner);
      if ((await op.commit()).ok) return "ok";
      // Someone wrote in between: read again.
    }
  }

  /** See {@link NameStore.byKey}. */
  async byKey(key: string): Promise<NameEntry | null> {
    const r = (await this.#kv.get<NameRecord>(this.#name(key))).value;
    return r && r.heldUntil === undefined
      ? { clientId: r.clientId, display: r.display }
      : null;
  }

  /** See {@link NameStore.nameOf}. */
  async nameOf(clientId: string): Promise<NameEntry | null> {
    const o = (await this.#kv.get<OwnerRecord>(this.#owner(clientId))).value;
    return o ? await this.byKey(o.current) : null;
  }

  /** See {@link NameStore.close}. */
  close(): void {
    if (this.#owns) this.#kv.close();
  }
}
