/**
 * What the delivery client does when processing its inbox fails. A
 * failure is transient when trying again may succeed — the client's own
 * storage failed (`MlsError` codes `storage_failure`, `storage_conflict`,
 * `storage_closed`, `storage_limit`), the network failed (a `fetch` that
 * throws, `DeliveryError` with status 5xx, 408 or 429), or anything that is
 * neither an `MlsError` nor a `DeliveryError`. Anything else is permanent:
 * the message itself cannot be processed (bad bytes, a replay, a commit
 * this member cannot apply, which `recovery.ts` handles).
 *
 * A step that fails transiently is tried again after a delay that doubles
 * each time, up to {@link RetryPolicy.attempts} tries; then the client
 * stops where it is — it never skips, saves its cursor past or
 * acknowledges a message it did not apply — and tries again on the next
 * `sync()` or stream reconnection. A message that fails permanently is
 * reported and skipped, as before.
 *
 * @module
 */

import { MlsError, type MlsErrorCode } from "../../mod.ts";
import { DeliveryError } from "./http.ts";

/**
 * How often and how patiently the delivery client retries a step that
 * failed for a transient reason.
 */
export interface RetryPolicy {
  /**
   * Tries of one step (applying a message, saving the cursor, fetching the
   * inbox, acknowledging) before the client gives up until the next sync
   * or reconnection (default 5, at least 1).
   */
  attempts?: number;
  /** The delay before the first retry, ms (default 100); doubles each time. */
  initialDelayMs?: number;
  /** The longest delay between two tries, ms (default 2000). */
  maxDelayMs?: number;
}

/** A {@link RetryPolicy} with every default filled in. */
export type ResolvedRetryPolicy = Required<RetryPolicy>;

/** The `MlsError` codes of the client's own storage failing. */
const STORAGE_CODES = new Set<MlsErrorCode>([
  "storage_failure",
  "storage_conflict",
  "storage_closed",
  "storage_limit",
]);

/**
 * Whether `error` is transient: the client's storage or the network
 * failed, not the message (see the module notes).
 *
 * @example
 * ```ts
 * import { MlsError } from "../../mod.ts";
 * import { isTransient } from "./retry.ts";
 * console.log(isTransient(new MlsError("storage_failure", "disk full"))); // true
 * console.log(isTransient(new MlsError("generation_too_old", "replay"))); // false
 * console.log(isTransient(new TypeError("fetch failed"))); // true
 * ```
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof MlsError) return STORAGE_CODES.has(error.code);
  if (error instanceof DeliveryError) {
    return error.status >= 500 || error.status === 408 ||
      error.status === 429;
  }
  return true;
}

/**
 * Fills in the defaults of `policy`; a value out of range is
 * `MlsError("invalid_argument")`.
 */
export function resolveRetryPolicy(
  policy: RetryPolicy = {},
): ResolvedRetryPolicy {
  const out = {
    attempts: policy.attempts ?? 5,
    initialDelayMs: policy.initialDelayMs ?? 100,
    maxDelayMs: policy.maxDelayMs ?? 2000,
  };
  if (!Number.isSafeInteger(out.attempts) || out.attempts < 1) {
    throw new MlsError(
      "invalid_argument",
      "must be a positive integer",
      "retry.attempts",
    );
  }
  for (const k of ["initialDelayMs", "maxDelayMs"] as const) {
    if (!Number.isFinite(out[k]) || out[k] < 0) {
      throw new MlsError(
        "invalid_argument",
        "must be a non-negative number",
        `retry.${k}`,
      );
    }
  }
  return out;
}

/**
 * Runs `step`, again while it fails transiently, up to `policy.attempts`
 * tries with a doubling delay in between (jittered: between half and all
 * of it). Rethrows a permanent failure at once, and the last transient
 * one when the tries are used up.
 *
 * @example
 * ```ts
 * import { resolveRetryPolicy, retrying } from "./retry.ts";
 * let calls = 0;
 * const v = await retrying(async () => {
 *   if (++calls < 3) throw new TypeError("network down");
 *   return "ok";
 * }, resolveRetryPolicy({ initialDelayMs: 1 }));
 * console.log(v, calls); // "ok" 3
 * ```
 */
export async function retrying<T>(
  step: () => Promise<T>,
  policy: ResolvedRetryPolicy,
): Promise<T> {
  let delay = policy.initialDelayMs;
  for (let attempt = 1;; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (!isTransient(e) || attempt >= policy.attempts) throw e;
    }
    const wait = Math.min(delay, policy.maxDelayMs);
    await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random() / 2)));
    delay = Math.min(delay * 2, policy.maxDelayMs);
  }
}

/**
 * Applies one inbox message with retries. Resolves when it was applied, or
 * failed permanently (reported with `skipped: true`: the caller moves past
 * it); after transient failures beyond the policy, reports it with
 * `skipped: false` and rethrows: the caller must stop at this message,
 * leave its cursor before it and acknowledge nothing after it.
 *
 * @example
 * ```ts ignore
 * await applyInOrder(() => group.receive(bytes).then(() => {}), policy,
 *   (error, skipped) => console.warn(skipped ? "skipped" : "will retry", error));
 * ```
 */
export async function applyInOrder(
  apply: () => Promise<void>,
  policy: ResolvedRetryPolicy,
  report: (error: unknown, skipped: boolean) => void,
): Promise<void> {
  try {
    await retrying(apply, policy);
  } catch (error) {
    const transient = isTransient(error);
    report(error, !transient);
    if (transient) throw error;
  }
}
