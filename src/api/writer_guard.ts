/**
 * One writer per member and group, however many live views of it there
 * are (two `MLS` instances, two browser tabs on one IndexedDB database, two
 * processes on one Deno KV file).
 *
 * Every write of a view's group state also rewrites the head record
 * (`head/<groupId>/<clientId>`) with a fresh random token, and is a
 * conditional batch that expects the token the view last read or wrote. So
 * a view whose state another view has replaced cannot write: its batch
 * fails atomically (`storage_conflict`), it reloads the stored state and
 * runs the operation again (a send re-encrypts with the next generation of
 * the stored ratchet). Before each operation a view compares the head with
 * its token and reloads if they differ, so that it does not work from a
 * state another view replaced; loads read the head before and after, and
 * read again if it moved (no torn state).
 *
 * Where the runtime has Web Locks (`navigator.locks`: browsers, Deno), the
 * operations of one member in one group also hold a lock named after it,
 * so the tabs of an origin (or the `MLS` instances of one process) take
 * turns instead of racing and retrying. Locks do not reach across
 * processes; the conditional batches do.
 *
 * @module
 */

/** Bytes of a head token. */
const TOKEN_BYTES = 16;

/**
 * How many times an operation runs when its conditional writes keep losing
 * to other views, before `storage_conflict`.
 */
export const MAX_ATTEMPTS = 24;

/** A fresh head token. */
export function newToken(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
}

/** Whether two head tokens (or their absence) are the same. */
export function sameToken(
  a: Uint8Array | undefined,
  b: Uint8Array | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The subset of the Web Locks API used here. */
interface LockManager {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

function lockManager(): LockManager | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManager } })
    .navigator;
  const locks = nav?.locks;
  return typeof locks?.request === "function" ? locks : undefined;
}

/**
 * Runs `f` holding the Web Lock of `clientId`'s state of `groupId` where the
 * runtime has Web Locks (read at each call), else just runs it.
 */
export function withWriterLock<T>(
  groupId: string,
  clientId: string,
  f: () => Promise<T>,
): Promise<T> {
  const locks = lockManager();
  if (!locks) return f();
  return locks.request(`webmls/${groupId}/${clientId}`, f);
}

/**
 * Waits a random time that grows with `attempt` (up to about 50 ms), so
 * that views that lost a conditional write do not keep colliding.
 */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
