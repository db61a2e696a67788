/**
 * Registration challenges and token rotation on Deno KV. Rows (under the
 * store's prefix, next to those of `kv_keys.ts`):
 *
 * | key | value |
 * | --- | --- |
 * | `challenge, hex` | expiry, ms since the epoch (the row also expires) |
 *
 * Both operations are single atomic operations checked against the
 * versionstamps they read, so they are correct across server processes
 * sharing one database: a challenge is consumed once, and a token is
 * replaced together with the client record.
 *
 * @module
 */

import type { Keys } from "./kv_keys.ts";
import { unlocked } from "./kv_retry.ts";

function challengeKey(keys: Keys, challenge: string): Deno.KvKey {
  return keys.under("challenge", challenge);
}

/** Stores a challenge issued at `now` (ms) for `ttlMs`. */
export async function kvPutChallenge(
  kv: Deno.Kv,
  keys: Keys,
  challenge: string,
  now: number,
  ttlMs: number,
): Promise<void> {
  const op = kv.atomic().set(challengeKey(keys, challenge), now + ttlMs, {
    // Deno KV deletes the row some time after this; the value is checked.
    expireIn: ttlMs,
  });
  await unlocked(() => op.commit());
}

/** Consumes a challenge: true once, if it exists and is unexpired at `now`. */
export async function kvTakeChallenge(
  kv: Deno.Kv,
  keys: Keys,
  challenge: string,
  now: number,
): Promise<boolean> {
  const key = challengeKey(keys, challenge);
  const e = await kv.get<number>(key);
  if (e.value === null) return false;
  // Checked delete: of two concurrent takers, only one commits.
  const res = await unlocked(() => kv.atomic().check(e).delete(key).commit());
  return res.ok && now <= e.value;
}

/** The client record's shape as far as rotation needs it. */
interface ClientValue {
  tokenHash: string;
}

/** Replaces a client's token hash and its token row in one step. */
export async function kvRotateToken(
  kv: Deno.Kv,
  keys: Keys,
  clientId: string,
  tokenHash: string,
): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const e = await kv.get<ClientValue>(keys.client(clientId));
    if (e.value === null) return false;
    const op = kv.atomic()
      .check(e)
      .check({ key: keys.token(tokenHash), versionstamp: null })
      // Other fields of the record are kept as they are.
      .set(keys.client(clientId), { ...e.value, tokenHash })
      .delete(keys.token(e.value.tokenHash))
      .set(keys.token(tokenHash), clientId);
    if ((await unlocked(() => op.commit())).ok) return true;
  }
  throw new Error("client record contention: too many retries");
}
