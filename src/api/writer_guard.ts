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

import { MlsError } from "../errors.ts";

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

/** What {@link WriterTurns} needs from the view whose operations it runs. */
export interface TurnTaker {
  /**
   * Before each attempt: throws if the view is unusable, and brings it up
   * to date if another view wrote since (or a write of its own failed).
   */
  prepare(): Promise<void>;
  /** Whether an attempt failed with `e` because another view wrote first. */
  lostToAnotherWriter(e: unknown): Promise<boolean>;
}

/**
 * Runs the operations of one view one at a time, in call order; those of
 * all views of one member in one group take turns through the Web Lock.
 * An operation whose write lost to another view's runs again on the state
 * that view stored, up to {@link MAX_ATTEMPTS} times, then fails with
 * `storage_conflict`.
 *
 * @example
 * ```ts ignore
 * const turns = new WriterTurns(groupId, clientId, view);
 * const epoch = await turns.run(async () => view.epoch);
 * ```
 */
export class WriterTurns {
  readonly #groupId: string;
  readonly #clientId: string;
  readonly #view: TurnTaker;
  #queue: Promise<unknown> = Promise.resolve();

  /** Turns for `view`, `clientId`'s view of `groupId`. */
  constructor(groupId: string, clientId: string, view: TurnTaker) {
    this.#groupId = groupId;
    this.#clientId = clientId;
    this.#view = view;
  }

  /** Runs `f` after the operations queued before it (see the class). */
  run<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() =>
      withWriterLock(this.#groupId, this.#clientId, () => this.#attempts(f))
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async #attempts<T>(f: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      await this.#view.prepare();
      try {
        return await f();
      } catch (e) {
        if (!(await this.#view.lostToAnotherWriter(e))) throw e;
        if (attempt >= MAX_ATTEMPTS) {
          throw new MlsError(
            "storage_conflict",
            `other views of this member kept writing first (${attempt} attempts)`,
            undefined,
            { cause: e },
          );
        }
        await backoff(attempt);
      }
    }
  }
}

/**
 * Whether an operation failed with `e` because another view wrote first,
 * so that it should run again: its conditional write found another view's
 * token (unless the view was `stale`: its own write failed, and the
 * conflict is real), or it failed on a state another view replaced
 * meanwhile (`isCurrent` is false). Other storage errors are not retried.
 */
export async function lostToAnotherWriter(
  e: unknown,
  stale: boolean,
  isCurrent: () => Promise<boolean>,
): Promise<boolean> {
  if (!(e instanceof MlsError)) return false;
  if (e.code === "storage_conflict") return stale;
  if (stale || e.code.startsWith("storage_")) return false;
  try {
    return !(await isCurrent());
  } catch {
    return false;
  }
}

/**
 * Reads what the head token guards without tearing: reads the token, then
 * `read`, then the token again, and reads again (after `discard`ing what
 * it read) while another view wrote in between; `storage_conflict` after
 * {@link MAX_ATTEMPTS} attempts. An error of `read` is thrown unless the
 * token moved meanwhile (then it was a torn read, and it reads again).
 */
export async function readSteadily<T>(
  readToken: () => Promise<Uint8Array | undefined>,
  read: (token: Uint8Array | undefined) => Promise<T>,
  discard: (value: T) => void,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    const token = await readToken();
    let value: T;
    try {
      value = await read(token);
    } catch (e) {
      if (sameToken(token, await readToken())) throw e;
      if (attempt >= MAX_ATTEMPTS) throw e;
      continue;
    }
    if (sameToken(token, await readToken())) return value;
    discard(value);
    if (attempt >= MAX_ATTEMPTS) {
      throw new MlsError(
        "storage_conflict",
        "other views of this member kept writing while the state was read",
      );
    }
    await backoff(attempt);
  }
}
