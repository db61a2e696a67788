/**
 * The key-package directory on Postgres: uploads, claims (a regular
 * package is deleted in the transaction that hands it out, so two claims
 * never get the same one), claim limits per window (RFC 9420 §16.8), and
 * registration challenges. Claims of one owner serialize on an advisory
 * lock of the owner, and limited claims also on one of the requester, so
 * counts are checked and raised atomically.
 *
 * @module
 */

import { claimWindow, overLimit } from "./claim_window.ts";
import { bytes, lockKey, num, type Sql, type Tx } from "./pg_sql.ts";
import type {
  ClaimLimits,
  ClaimResult,
  KeyPackageCounts,
  PutKeyPackageResult,
  StoredKeyPackage,
} from "./store.ts";

function keyPackage(r: Record<string, unknown>): StoredKeyPackage {
  return {
    ref: r.ref as string,
    bytes: bytes(r.bytes as Uint8Array),
    lastResort: r.last_resort as boolean,
    notAfter: num(r.not_after),
  };
}

/** See {@link DeliveryStore.putKeyPackage}. */
export async function putKeyPackage(
  sql: Sql,
  owner: string,
  kp: StoredKeyPackage,
  max: number,
): Promise<PutKeyPackageResult> {
  return await sql.begin(async (tx): Promise<PutKeyPackageResult> => {
    await lockKey(tx, `kp:${owner}`);
    const [dup] = await tx`
      SELECT 1 FROM key_package_refs WHERE ref = ${kp.ref}`;
    if (dup) return "duplicate";
    const [{ n }] = await tx`
      SELECT count(*)::int AS n FROM key_packages WHERE owner = ${owner}`;
    if (n >= max) return "full";
    await tx`
      INSERT INTO key_packages (ref, owner, bytes, last_resort, not_after)
      VALUES (${kp.ref}, ${owner}, ${kp.bytes}, ${kp.lastResort},
        ${kp.notAfter})`;
    await tx`
      INSERT INTO key_package_refs (ref, owner) VALUES (${kp.ref}, ${owner})`;
    return "stored";
  });
}

/**
 * Under the owner's lock: drops expired packages, returns the oldest
 * valid regular one and a valid last-resort one.
 */
async function candidates(
  tx: Tx,
  owner: string,
  nowSeconds: number,
): Promise<{ regular?: StoredKeyPackage; lastResort?: StoredKeyPackage }> {
  await lockKey(tx, `kp:${owner}`);
  await tx`
    DELETE FROM key_packages WHERE owner = ${owner}
      AND not_after < ${nowSeconds}`;
  const rows = await tx`
    (SELECT * FROM key_packages WHERE owner = ${owner} AND NOT last_resort
      ORDER BY added LIMIT 1)
    UNION ALL
    (SELECT * FROM key_packages WHERE owner = ${owner} AND last_resort
      ORDER BY added LIMIT 1)`;
  const all = rows.map(keyPackage);
  return {
    regular: all.find((k) => !k.lastResort),
    lastResort: all.find((k) => k.lastResort),
  };
}

/** See {@link DeliveryStore.claimKeyPackage}. */
export async function claimKeyPackage(
  sql: Sql,
  owner: string,
  nowSeconds: number,
): Promise<StoredKeyPackage | null> {
  return await sql.begin(async (tx) => {
    const { regular, lastResort } = await candidates(tx, owner, nowSeconds);
    if (regular) {
      await tx`DELETE FROM key_packages WHERE ref = ${regular.ref}`;
      return regular;
    }
    return lastResort ?? null;
  });
}

/** See {@link DeliveryStore.claimKeyPackageLimited}. */
export async function claimKeyPackageLimited(
  sql: Sql,
  owner: string,
  requester: string,
  nowSeconds: number,
  limits: ClaimLimits | false,
): Promise<ClaimResult> {
  return await sql.begin(async (tx): Promise<ClaimResult> => {
    // The owner's lock first, then the requester's: always in this order.
    const { regular, lastResort } = await candidates(tx, owner, nowSeconds);
    const fallback: ClaimResult = lastResort
      ? { kind: "lastResort", keyPackage: lastResort }
      : { kind: "none" };
    if (!regular) return fallback;
    if (limits) {
      await lockKey(tx, `claims:${requester}`);
      const w = claimWindow(limits, nowSeconds);
      // Only the current window's counts matter: drop older ones.
      await tx`DELETE FROM claim_counts WHERE window_no < ${w.window}`;
      const keys = [`p/${requester}/${owner}`, `r/${requester}`, `t/${owner}`];
      const rows = await tx`
        SELECT key, n FROM claim_counts
        WHERE window_no = ${w.window} AND key = ANY(${keys}::text[])`;
      const count = (k: string) => rows.find((r) => r.key === k)?.n ?? 0;
      const [pair, req, target] = keys.map(count);
      if (overLimit({ pair, requester: req, target }, limits)) {
        return lastResort
          ? fallback
          : { kind: "limited", retryAfter: w.retryAfter };
      }
      await tx`
        INSERT INTO claim_counts (window_no, key, n)
        SELECT ${w.window}, k, 1 FROM unnest(${keys}::text[]) AS k
        ON CONFLICT (window_no, key)
          DO UPDATE SET n = claim_counts.n + 1`;
    }
    await tx`DELETE FROM key_packages WHERE ref = ${regular.ref}`;
    return { kind: "regular", keyPackage: regular };
  });
}

/** See {@link DeliveryStore.countKeyPackagesByKind}. */
export async function countKeyPackagesByKind(
  sql: Sql,
  owner: string,
  nowSeconds: number,
): Promise<KeyPackageCounts> {
  const [r] = await sql`
    SELECT count(*) FILTER (WHERE NOT last_resort)::int AS regular,
      count(*) FILTER (WHERE last_resort)::int AS last_resort
    FROM key_packages WHERE owner = ${owner} AND not_after >= ${nowSeconds}`;
  return { regular: r.regular, lastResort: r.last_resort };
}

/** See {@link DeliveryStore.putChallenge}. */
export async function putChallenge(
  sql: Sql,
  challenge: string,
  now: number,
  ttlMs: number,
): Promise<void> {
  // Expired challenges are swept now and then (bounded table).
  if (Math.random() < 0.01) {
    await sql`DELETE FROM challenges WHERE expires_at < ${now}`;
  }
  await sql`
    INSERT INTO challenges (challenge, expires_at)
    VALUES (${challenge}, ${now + ttlMs})
    ON CONFLICT (challenge) DO UPDATE SET expires_at = EXCLUDED.expires_at`;
}

/** See {@link DeliveryStore.takeChallenge}. */
export async function takeChallenge(
  sql: Sql,
  challenge: string,
  now: number,
): Promise<boolean> {
  const [r] = await sql`
    DELETE FROM challenges WHERE challenge = ${challenge}
    RETURNING expires_at`;
  return r !== undefined && now <= num(r.expires_at);
}
