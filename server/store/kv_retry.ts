/**
 * SQLite-backed Deno KV answers "database is locked" when another process
 * holds the write lock; such operations are retried with backoff.
 *
 * @module
 */

function isLocked(e: unknown): boolean {
  return e instanceof Error && /database is locked|busy/i.test(e.message);
}

/** Runs `f`, retrying for up to ~5 s while the database is locked. */
export async function unlocked<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!isLocked(e) || attempt >= 100) throw e;
      await new Promise((r) =>
        setTimeout(r, 2 + Math.random() * 10 * Math.min(attempt + 1, 5))
      );
    }
  }
}
