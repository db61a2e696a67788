/**
 * Key-package claims within limits, on Deno KV. Rows (under the store's
 * prefix, next to those of `kv_keys.ts`), one count per window:
 *
 * | key | value |
 * | --- | --- |
 * | `claims, window, "pair", requester, owner` | regular packages taken |
 * | `claims, window, "req", requester` | regular packages taken |
 * | `claims, window, "tgt", owner` | regular packages handed out |
 *
 * Taking a regular package deletes it and raises the three counts in one
 * atomic operation checked against the versionstamps of the package and
 * of the counts it read, so two server processes sharing the database can
 * neither hand out one package twice nor exceed a limit together. Count
 * rows expire two windows after they are written.
 *
 * @module
 */

import { claimWindow, overLimit } from "./claim_window.ts";
import type { Keys, KpValue } from "./kv_keys.ts";
import { unlocked } from "./kv_retry.ts";
import type {
  ClaimLimits,
  ClaimResult,
  KeyPackageCounts,
  StoredKeyPackage,
} from "./store.ts";

/** The valid packages of `owner`: first regular, first last-resort. */
async function scan(
  kv: Deno.Kv,
  keys: Keys,
  owner: string,
  nowSeconds: number,
): Promise<{
  regular?: Deno.KvEntry<KpValue>;
  lastResort?: Deno.KvEntry<KpValue>;
}> {
  let regular: Deno.KvEntry<KpValue> | undefined;
  let lastResort: Deno.KvEntry<KpValue> | undefined;
  const expired: Deno.KvKey[] = [];
  for await (const e of kv.list<KpValue>({ prefix: keys.kp(owner) })) {
    if (e.value.notAfter < nowSeconds) expired.push(e.key);
    else if (e.value.lastResort) lastResort ??= e;
    else regular ??= e;
    if (regular && lastResort) break;
  }
  if (expired.length > 0) {
    const op = kv.atomic();
    for (const k of expired.slice(0, 500)) op.delete(k);
    await unlocked(() => op.commit());
  }
  return { regular, lastResort };
}

function stored(e: Deno.KvEntry<KpValue>): StoredKeyPackage {
  return { ref: e.key[e.key.length - 1] as string, ...e.value };
}

/** See `DeliveryStore.claimKeyPackageLimited`. */
export async function kvClaimLimited(
  kv: Deno.Kv,
  keys: Keys,
  owner: string,
  requester: string,
  nowSeconds: number,
  limits: ClaimLimits | false,
): Promise<ClaimResult> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { regular, lastResort } = await scan(kv, keys, owner, nowSeconds);
    const last: ClaimResult = lastResort
      ? { kind: "lastResort", keyPackage: stored(lastResort) }
      : { kind: "none" };
    if (!regular) return last;
    const op = kv.atomic().check(regular).delete(regular.key);
    if (limits) {
      const { window, retryAfter } = claimWindow(limits, nowSeconds);
      const rows = [
        keys.under("claims", window, "pair", requester, owner),
        keys.under("claims", window, "req", requester),
        keys.under("claims", window, "tgt", owner),
      ];
      const got = await kv.getMany<number[]>(rows);
      const [pair, req, target] = got.map((e) => e.value ?? 0);
      if (overLimit({ pair, requester: req, target }, limits)) {
        return lastResort ? last : { kind: "limited", retryAfter };
      }
      const expireIn = 2 * limits.windowSeconds * 1000;
      got.forEach((e, i) => {
        op.check(e).set(rows[i], (e.value ?? 0) + 1, { expireIn });
      });
    }
    if ((await unlocked(() => op.commit())).ok) {
      return { kind: "regular", keyPackage: stored(regular) };
    }
  }
  throw new Error("key-package claim contention: too many retries");
}

/** See `DeliveryStore.countKeyPackagesByKind`. */
export async function kvCountByKind(
  kv: Deno.Kv,
  keys: Keys,
  owner: string,
  nowSeconds: number,
): Promise<KeyPackageCounts> {
  let regular = 0;
  let lastResort = 0;
  for await (const e of kv.list<KpValue>({ prefix: keys.kp(owner) })) {
    if (e.value.notAfter < nowSeconds) continue;
    if (e.value.lastResort) lastResort++;
    else regular++;
  }
  return { regular, lastResort };
}
